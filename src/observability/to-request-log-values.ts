import { upstreamCallCount } from '../core/index.js';
import type { RequestSummary } from '../core/index.js';
import { createRequestId, redactSecrets } from '../lib/index.js';
import { needsAttemptRows } from '../storage/index.js';
import type { RequestLogValues } from '../storage/index.js';

/** Bodies longer than this are cut (images as base64 would otherwise bloat the log). */
const MAX_BODY_CHARS = 256 * 1024;

/**
 * Turns a request-end summary into its request-log row: plain values in column order, bodies
 * redacted and capped, attempts only when they add something. Done when the event arrives, so
 * the summary's object graph dies young instead of waiting for the next flush.
 */
export function toRequestLogValues(summary: RequestSummary): RequestLogValues {
  const usage = summary.usage;
  return [
    // Time-ordered, so the unique index on it grows at its end instead of splitting random pages.
    `${summary.endedAt.toString(36).padStart(9, '0')}${createRequestId().slice(4)}`,
    summary.requestId,
    summary.startedAt,
    summary.endedAt,
    summary.durationMs,
    summary.timeToFirstTokenMs,
    summary.overheadMs,
    summary.endpoint,
    summary.keyId,
    summary.tenantId,
    summary.endUser,
    summary.requestedModel,
    summary.provider,
    summary.providerModel,
    // Upstream calls only, like x-sluice-attempts: a target skipped for a cap is an attempt row, not a call.
    upstreamCallCount(summary.attempts),
    summary.cacheStatus ?? null,
    summary.stream ? 1 : 0,
    summary.status,
    summary.errorCode,
    summary.errorMessage === null ? null : redactSecrets(summary.errorMessage),
    usage?.promptTokens ?? 0,
    usage?.completionTokens ?? 0,
    usage?.totalTokens ?? 0,
    usage?.cachedTokens ?? 0,
    usage?.cacheWriteTokens ?? 0,
    usage?.reasoningTokens ?? 0,
    summary.usageEstimated ? 1 : 0,
    summary.costUsd,
    summary.serviceName ?? null,
    summary.promptVersion ?? null,
    summary.experimentVariant ?? null,
    summary.metadata === null ? null : JSON.stringify(summary.metadata),
    summary.requestBody === undefined || summary.requestBody === null ? null : prepareBody(summary.requestBody),
    summary.responseBody === undefined || summary.responseBody === null ? null : prepareBody(summary.responseBody),
    summary.promptName ?? null,
    summary.promptLabel ?? null,
    summary.jsonFixes === undefined || summary.jsonFixes === null ? null : JSON.stringify(summary.jsonFixes),
    summary.reaskCount ?? null,
    summary.outputValid === undefined || summary.outputValid === null ? null : summary.outputValid ? 1 : 0,
    summary.costSavedUsd ?? null,
    summary.cacheOriginRequestId ?? null,
    needsAttemptRows(summary.attempts, summary.errorCode)
      ? summary.attempts.map((attempt) => [
        attempt.provider, attempt.model, attempt.startedAt, attempt.durationMs, attempt.status, attempt.errorCode,
        attempt.errorMessage === null ? null : redactSecrets(attempt.errorMessage), attempt.kind ?? null,
      ])
      : null,
  ];
}

function prepareBody(body: unknown): string {
  let text: string;
  try {
    text = typeof body === 'string' ? body : JSON.stringify(body) ?? '';
  } catch {
    text = '[unserialisable body]';
  }
  if (text.length > MAX_BODY_CHARS) text = `${text.slice(0, MAX_BODY_CHARS)}…[truncated ${text.length - MAX_BODY_CHARS} chars]`;
  return redactSecrets(text);
}
