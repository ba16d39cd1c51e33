import type { AttemptValues, RequestLogValues } from '../request-log-values.js';
import { ATTEMPTS_INDEX, REQUEST_LOG_COLUMN_COUNT } from '../request-log-values.js';
import type { RequestAttemptTable, RequestLogTable } from './database-schema.js';

/** The columns of request_logs in the order of a row's values (RequestLogValues). */
export const REQUEST_LOG_COLUMNS = [
  'row_key', 'request_id', 'started_at', 'ended_at', 'duration_ms', 'ttft_ms', 'overhead_ms', 'endpoint', 'key_id',
  'tenant_id', 'end_user', 'requested_model', 'provider', 'provider_model', 'attempt_count', 'cache_status', 'stream',
  'status_code', 'error_code', 'error_message', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cached_tokens',
  'cache_write_tokens', 'reasoning_tokens', 'usage_estimated', 'cost_usd', 'service_name', 'prompt_version',
  'experiment_variant', 'metadata', 'request_body', 'response_body', 'prompt_name', 'prompt_label',
  'json_fixes', 'reask_count', 'output_valid', 'cost_saved_usd', 'cache_origin_request_id',
] as const satisfies ReadonlyArray<keyof RequestLogTable>;

/** The columns of request_attempts: the row's key and request id, the attempt's index, then its values. */
export const ATTEMPT_COLUMNS = [
  'row_key', 'request_id', 'attempt_index', 'provider', 'model', 'started_at', 'duration_ms', 'status_code', 'error_code', 'error_message',
  'kind',
] as const satisfies ReadonlyArray<keyof RequestAttemptTable>;

if (REQUEST_LOG_COLUMNS.length !== REQUEST_LOG_COLUMN_COUNT || ATTEMPTS_INDEX !== REQUEST_LOG_COLUMN_COUNT) {
  throw new Error('request log: the column list and RequestLogValues disagree');
}

/** A row's values as the columns Kysely inserts (the Postgres path; SQLite binds them by position). */
export function toRecord(values: RequestLogValues): Omit<RequestLogTable, 'id'> {
  const record: Record<string, unknown> = {};
  for (let index = 0; index < REQUEST_LOG_COLUMN_COUNT; index += 1) record[REQUEST_LOG_COLUMNS[index]!] = values[index];
  return record as unknown as Omit<RequestLogTable, 'id'>;
}

export function toAttemptRecords(values: RequestLogValues): RequestAttemptTable[] {
  const attempts: AttemptValues[] = values[ATTEMPTS_INDEX] ?? [];
  return attempts.map(([provider, model, startedAt, durationMs, statusCode, errorCode, errorMessage, kind], index) => ({
    row_key: values[0], request_id: values[1], attempt_index: index,
    provider, model, started_at: startedAt, duration_ms: durationMs, status_code: statusCode, error_code: errorCode, error_message: errorMessage,
    kind,
  }));
}
