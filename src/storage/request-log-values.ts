import type { CacheStatus } from '../core/index.js';
import type { AttemptLogRow, RequestLogRow } from './request-log-store.js';

/** One upstream call, as the request log writes it. */
export type AttemptValues = [
  provider: string, model: string, startedAt: number, durationMs: number, statusCode: number | null,
  errorCode: string | null, errorMessage: string | null, kind: string | null,
];

/**
 * A request-log row on its way to the database: plain values in the table's column order (see
 * sql/request-log-columns.ts), then the attempts to write, or null when the row alone says it
 * all. The writer queues these instead of the request's object graph, a backend binds them by
 * position, and they cross to a worker thread or the spill file as they are.
 */
export type RequestLogValues = [
  rowKey: string, requestId: string, startedAt: number, endedAt: number, durationMs: number,
  timeToFirstTokenMs: number | null, overheadMs: number, endpoint: string, keyId: string | null, tenantId: string | null,
  endUser: string | null, requestedModel: string | null, provider: string | null, providerModel: string | null,
  attemptCount: number, cacheStatus: CacheStatus | null, stream: 0 | 1, statusCode: number, errorCode: string | null,
  errorMessage: string | null, promptTokens: number, completionTokens: number, totalTokens: number, cachedTokens: number,
  cacheWriteTokens: number, reasoningTokens: number, usageEstimated: 0 | 1, costUsd: number, serviceName: string | null,
  promptVersion: string | null, experimentVariant: string | null, metadata: string | null, requestBody: string | null,
  responseBody: string | null, promptName: string | null, promptLabel: string | null,
  jsonFixes: string | null, reaskCount: number | null, outputValid: 0 | 1 | null,
  costSavedUsd: number | null, cacheOriginRequestId: string | null, attempts: AttemptValues[] | null,
];

/** How many of a row's values are columns of request_logs (the attempts come after them). */
export const REQUEST_LOG_COLUMN_COUNT = 41;
/** Where a row's attempts sit. */
export const ATTEMPTS_INDEX = 41;

/**
 * Attempt rows are written only when they add something: several attempts, or a failure. A
 * single successful call is fully described by the row (provider, model, status, and its
 * duration is the request's minus the overhead), and skipping it halves the inserts of the
 * common request.
 */
export function needsAttemptRows(attempts: ReadonlyArray<{ errorCode: string | null }>, errorCode: string | null): boolean {
  return attempts.length > 1 || (attempts.length === 1 && (errorCode !== null || attempts[0]?.errorCode !== null));
}

/** A read row back to the values that wrote it (a spill file written by an older version holds rows). */
export function logRowToValues(row: RequestLogRow): RequestLogValues {
  return [
    row.rowKey, row.requestId, row.startedAt, row.endedAt, row.durationMs, row.timeToFirstTokenMs, row.overheadMs, row.endpoint,
    row.keyId, row.tenantId, row.endUser, row.requestedModel, row.provider, row.providerModel, row.attemptCount,
    row.cacheStatus, row.stream ? 1 : 0, row.statusCode, row.errorCode, row.errorMessage, row.promptTokens,
    row.completionTokens, row.totalTokens, row.cachedTokens, row.cacheWriteTokens, row.reasoningTokens,
    row.usageEstimated ? 1 : 0, row.costUsd, row.serviceName, row.promptVersion, row.experimentVariant,
    row.metadata === null ? null : JSON.stringify(row.metadata), row.requestBody, row.responseBody,
    row.promptName ?? null, row.promptLabel ?? null,
    row.jsonFixes === null || row.jsonFixes === undefined ? null : JSON.stringify(row.jsonFixes), row.reaskCount ?? null,
    row.outputValid === null || row.outputValid === undefined ? null : row.outputValid ? 1 : 0,
    row.costSavedUsd, row.cacheOriginRequestId,
    needsAttemptRows(row.attempts, row.errorCode) ? row.attempts.map(toAttemptValues) : null,
  ];
}

function toAttemptValues(attempt: AttemptLogRow): AttemptValues {
  return [
    attempt.provider, attempt.model, attempt.startedAt, attempt.durationMs, attempt.statusCode, attempt.errorCode, attempt.errorMessage,
    attempt.kind ?? null,
  ];
}

/**
 * The attempt a row implies when none was written: its provider and model, its status, and the
 * upstream time (the duration minus the overhead), started when the request started.
 */
export function impliedAttempt(row: RequestLogRow): AttemptLogRow | null {
  if (row.attemptCount !== 1 || row.provider === null || row.providerModel === null) return null;
  return {
    provider: row.provider,
    model: row.providerModel,
    startedAt: row.startedAt,
    durationMs: Math.max(0, row.durationMs - row.overheadMs),
    statusCode: row.statusCode,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
  };
}
