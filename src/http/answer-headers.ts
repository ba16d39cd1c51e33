import { AllAttemptsFailedError, upstreamCallCount } from '../core/index.js';
import type { AttemptRecord, GatewayError } from '../core/index.js';
import type { RequestLifecycle } from '../inference/index.js';
import { LimitExceededError } from '../policies/index.js';

/** Entries beyond this are summarised, so that a long trail cannot overflow a proxy's header limit. */
const MAX_TRAIL_ENTRIES = 16;

/**
 * The headers of every inference answer, success or error, on every endpoint: the route that
 * answered, the attempt trail, the caller's rate-limit state, and after a failure when to retry.
 */
export function answerHeaders(
  lifecycle: RequestLifecycle,
  own: Record<string, string>,
  error: GatewayError | null,
  staticFallback: boolean,
): Record<string, string> {
  const headers: Record<string, string> = { 'x-request-id': lifecycle.requestId, ...own };
  if (lifecycle.provider !== null) headers['x-sluice-provider'] = lifecycle.provider;
  if (lifecycle.providerModel !== null) headers['x-sluice-model'] = lifecycle.providerModel;
  addAttemptHeaders(headers, lifecycle.attempts);
  Object.assign(headers, lifecycle.rateLimitHeaders);
  if (staticFallback) headers['x-sluice-fallback'] = 'static';
  // A paused experiment serves control unlogged: no exposure, so no experiment headers either.
  const experiment = lifecycle.experiment;
  if (experiment !== null && experiment.exposure !== null) {
    headers['x-sluice-experiment'] = experiment.experiment;
    headers['x-sluice-variant'] = experiment.variant.name;
  }
  if (lifecycle.prompt !== null) headers['x-sluice-prompt-version'] = String(lifecycle.prompt.version);
  if (lifecycle.jsonFixes !== null && lifecycle.jsonFixes.length > 0) headers['x-sluice-json-fixes'] = lifecycle.jsonFixes.join(',');
  const cache = lifecycle.cache;
  if (cache !== null) {
    headers['x-sluice-cache'] = cache.status;
    if (cache.ageS !== null) headers['x-sluice-cache-age'] = String(cache.ageS);
    if (cache.similarity !== null) headers['x-sluice-cache-similarity'] = cache.similarity.toFixed(4);
  }
  if (error !== null) {
    if (error instanceof LimitExceededError) Object.assign(headers, error.headers);
    addRetryHeaders(headers, error);
  }
  return headers;
}

/**
 * `x-sluice-attempts`: the number of upstream calls; `x-sluice-attempt-trail`: each call as
 * `provider/model;kind=…;status=…;error=…;ms=…`, comma-separated, in the order they started. A
 * target skipped for a reached cap is in the trail (`kind=skipped;…;cap=provider%20claude%20tokens_per_day`)
 * but is not an upstream call.
 */
function addAttemptHeaders(headers: Record<string, string>, attempts: readonly AttemptRecord[]): void {
  headers['x-sluice-attempts'] = String(upstreamCallCount(attempts));
  if (attempts.length === 0) return;
  const entries: string[] = [];
  for (const attempt of attempts.slice(0, MAX_TRAIL_ENTRIES)) {
    let entry = `${encodeURIComponent(attempt.provider)}/${encodeURIComponent(attempt.model)};kind=${attempt.kind ?? 'first'};status=${attempt.status ?? 'none'}`;
    if (attempt.errorCode !== null) entry += `;error=${attempt.errorCode}`;
    if (attempt.cap !== undefined) entry += `;cap=${encodeURIComponent(attempt.cap)}`;
    entries.push(`${entry};ms=${attempt.durationMs}`);
  }
  if (attempts.length > MAX_TRAIL_ENTRIES) entries.push(`+${attempts.length - MAX_TRAIL_ENTRIES} more`);
  headers['x-sluice-attempt-trail'] = entries.join(', ');
}

/**
 * `retry-after` and `retry-after-ms` on 429 and 503. After the gateway has spent its own retries,
 * other failures tell SDKs not to multiply them (`x-should-retry: false`).
 */
export function addRetryHeaders(headers: Record<string, string>, error: GatewayError): void {
  if (error.status === 429 || error.status === 503) {
    const milliseconds = Math.max(0, error.retryAfterMs ?? 1000);
    headers['retry-after'] = String(Math.max(1, Math.ceil(milliseconds / 1000)));
    headers['retry-after-ms'] = String(milliseconds);
  } else if (error instanceof AllAttemptsFailedError) {
    headers['x-should-retry'] = 'false';
  }
}
