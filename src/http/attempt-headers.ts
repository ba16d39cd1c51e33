import { AllAttemptsFailedError } from '../core/index.js';
import type { AttemptRecord, GatewayError } from '../core/index.js';

/** Entries beyond this are summarised, so that a long trail cannot overflow a proxy's header limit. */
const MAX_TRAIL_ENTRIES = 16;

/**
 * `x-sluice-attempts`: the number of upstream calls; `x-sluice-attempt-trail`: each call as
 * `provider/model;kind=…;status=…;error=…;ms=…`, comma-separated, in the order they started.
 */
export function attemptHeaders(attempts: readonly AttemptRecord[]): Record<string, string> {
  if (attempts.length === 0) return { 'x-sluice-attempts': '0' };
  const entries = attempts.slice(0, MAX_TRAIL_ENTRIES).map((attempt) => {
    const parts = [`${encodeURIComponent(attempt.provider)}/${encodeURIComponent(attempt.model)}`, `kind=${attempt.kind ?? 'first'}`];
    parts.push(`status=${attempt.status ?? 'none'}`);
    if (attempt.errorCode !== null) parts.push(`error=${attempt.errorCode}`);
    parts.push(`ms=${attempt.durationMs}`);
    return parts.join(';');
  });
  if (attempts.length > MAX_TRAIL_ENTRIES) entries.push(`+${attempts.length - MAX_TRAIL_ENTRIES} more`);
  return { 'x-sluice-attempts': String(attempts.length), 'x-sluice-attempt-trail': entries.join(', ') };
}

/**
 * After the gateway has spent its own retries, tell SDKs not to multiply them (`x-should-retry:
 * false`), except for 429 and 503, whose retry-after says when trying again makes sense.
 */
export function exhaustedRetryHeaders(error: GatewayError): Record<string, string> {
  if (!(error instanceof AllAttemptsFailedError) || error.status === 429 || error.status === 503) return {};
  return { 'x-should-retry': 'false' };
}
