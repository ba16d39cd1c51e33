import type { RequestSummary } from '../core/index.js';
import { createRequestId, redactSecrets } from '../lib/index.js';
import type { RequestLogRow } from '../storage/index.js';

/** Bodies longer than this are cut (images as base64 would otherwise bloat the log). */
const MAX_BODY_CHARS = 256 * 1024;

/** Turns a request-end summary into its request-log row; bodies are redacted and capped. */
export function toRequestLogRow(summary: RequestSummary): RequestLogRow {
  const usage = summary.usage;
  return {
    // Time-ordered, so the unique index on it grows at its end instead of splitting random pages.
    rowKey: `${summary.endedAt.toString(36).padStart(9, '0')}${createRequestId().slice(4)}`,
    requestId: summary.requestId,
    startedAt: summary.startedAt,
    endedAt: summary.endedAt,
    durationMs: summary.durationMs,
    timeToFirstTokenMs: summary.timeToFirstTokenMs,
    overheadMs: summary.overheadMs,
    endpoint: summary.endpoint,
    keyId: summary.keyId,
    tenantId: summary.tenantId,
    endUser: summary.endUser,
    requestedModel: summary.requestedModel,
    provider: summary.provider,
    providerModel: summary.providerModel,
    attemptCount: summary.attempts.length,
    cacheStatus: summary.cacheStatus ?? null,
    costSavedUsd: summary.costSavedUsd ?? null,
    cacheOriginRequestId: summary.cacheOriginRequestId ?? null,
    stream: summary.stream,
    statusCode: summary.status,
    errorCode: summary.errorCode,
    errorMessage: summary.errorMessage === null ? null : redactSecrets(summary.errorMessage),
    promptTokens: usage?.promptTokens ?? 0,
    completionTokens: usage?.completionTokens ?? 0,
    totalTokens: usage?.totalTokens ?? 0,
    cachedTokens: usage?.cachedTokens ?? 0,
    cacheWriteTokens: usage?.cacheWriteTokens ?? 0,
    reasoningTokens: usage?.reasoningTokens ?? 0,
    usageEstimated: summary.usageEstimated,
    costUsd: summary.costUsd,
    serviceName: summary.serviceName ?? null,
    promptVersion: summary.promptVersion ?? null,
    experimentVariant: summary.experimentVariant ?? null,
    metadata: summary.metadata,
    requestBody: summary.requestBody === undefined || summary.requestBody === null ? null : prepareBody(summary.requestBody),
    responseBody: summary.responseBody === undefined || summary.responseBody === null ? null : prepareBody(summary.responseBody),
    attempts: summary.attempts.map((attempt) => ({
      provider: attempt.provider,
      model: attempt.model,
      startedAt: attempt.startedAt,
      durationMs: attempt.durationMs,
      statusCode: attempt.status,
      errorCode: attempt.errorCode,
      errorMessage: attempt.errorMessage === null ? null : redactSecrets(attempt.errorMessage),
    })),
  };
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
