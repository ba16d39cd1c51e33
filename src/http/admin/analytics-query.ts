import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import { parseTimePoint } from '../../lib/index.js';
import { GROUP_BY_FIELDS, TIME_BUCKETS } from '../../inference/index.js';
import type { AnalyticsFilter, LogFilter, RequestLogRow, SummaryGroup } from '../../inference/index.js';

const DEFAULT_WINDOW_MS = 86_400_000;

const optionalText = z.string().min(1).optional();

export const analyticsQuerySchema = z.object({
  since: optionalText,
  until: optionalText,
  group_by: z.enum(GROUP_BY_FIELDS).optional(),
  bucket: z.enum(TIME_BUCKETS).default('hour'),
  model: optionalText,
  provider: optionalText,
  key_id: optionalText,
  tenant_id: optionalText,
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const logsQuerySchema = z.object({
  since: optionalText,
  until: optionalText,
  model: optionalText,
  provider: optionalText,
  key_id: optionalText,
  tenant_id: optionalText,
  user: optionalText,
  status: z.enum(['success', 'error']).optional(),
  error_code: optionalText,
  service: optionalText,
  q: optionalText,
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: optionalText,
});

/** Parses query parameters; a bad one is `invalid_request` naming it. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const parsed = schema.safeParse(query ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue?.path.map(String).join('.') ?? '';
  throw new GatewayError('invalid_request', `${param}: ${issue?.message ?? 'invalid'}`, { param });
}

/**
 * The latest time a window may name: the end of year 9999. Later values are not dates (an ISO
 * string of them throws) and not bigints a database takes, so they are refused as bad input.
 */
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `since`/`until` as durations ago (`24h`), epoch ms or seconds, or ISO dates; default the last 24 hours. */
export function parseWindow(since: string | undefined, until: string | undefined, now: number): { since: number; until: number } {
  const end = until === undefined ? now + 1 : inRange(parseTimePoint(until, now));
  if (end === null) throw new GatewayError('invalid_request', 'until: not a time between 1970 and 9999 (use 1h, an ISO date or epoch ms)', { param: 'until' });
  const start = since === undefined ? Math.max(0, end - DEFAULT_WINDOW_MS) : inRange(parseTimePoint(since, now));
  if (start === null) throw new GatewayError('invalid_request', 'since: not a time between 1970 and 9999 (use 1h, an ISO date or epoch ms)', { param: 'since' });
  return { since: start, until: end };
}

function inRange(time: number | null): number | null {
  return time !== null && Number.isSafeInteger(time) && time >= 0 && time <= MAX_TIME_MS ? time : null;
}

export function toAnalyticsFilter(query: z.output<typeof analyticsQuerySchema>, now: number): AnalyticsFilter {
  return {
    ...parseWindow(query.since, query.until, now),
    model: query.model, provider: query.provider, keyId: query.key_id, tenantId: query.tenant_id,
  };
}

export function toLogFilter(query: z.output<typeof logsQuerySchema>, now: number): LogFilter {
  return {
    ...parseWindow(query.since, query.until, now),
    model: query.model, provider: query.provider, keyId: query.key_id, tenantId: query.tenant_id,
    endUser: query.user, status: query.status, errorCode: query.error_code, serviceName: query.service, query: query.q,
  };
}

/** The wire shape of one group's figures (snake_case like the rest of the API). */
export function toWireFigures(group: SummaryGroup): Record<string, unknown> {
  return {
    group: group.group,
    requests: group.requests,
    errors: group.errors,
    error_rate: group.errorRate,
    latency_ms: group.latencyMs,
    ttft_ms: group.timeToFirstTokenMs,
    prompt_tokens: group.promptTokens,
    completion_tokens: group.completionTokens,
    total_tokens: group.totalTokens,
    cached_tokens: group.cachedTokens,
    reasoning_tokens: group.reasoningTokens,
    cost_usd: group.costUsd,
    cache_hits: group.cacheHits,
    cache_hit_rate: group.cacheHitRate,
    saved_usd: group.savedUsd,
    success_rate: group.successRate,
    json_repair_rate: group.jsonRepairRate,
    output_valid_rate: group.outputValidRate,
    reask_rate: group.reaskRate,
  };
}

/** The wire shape of a request-log row; `detail` adds attempts and bodies. */
export function toWireLog(row: RequestLogRow, detail: boolean): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    request_id: row.requestId,
    started_at: new Date(row.startedAt).toISOString(),
    ended_at: new Date(row.endedAt).toISOString(),
    duration_ms: row.durationMs,
    ttft_ms: row.timeToFirstTokenMs,
    overhead_ms: row.overheadMs,
    endpoint: row.endpoint,
    key_id: row.keyId,
    tenant_id: row.tenantId,
    user: row.endUser,
    model: row.requestedModel,
    provider: row.provider,
    provider_model: row.providerModel,
    attempts: row.attemptCount,
    cache: row.cacheStatus,
    stream: row.stream,
    status: row.statusCode,
    error_code: row.errorCode,
    error_message: row.errorMessage,
    prompt_tokens: row.promptTokens,
    completion_tokens: row.completionTokens,
    total_tokens: row.totalTokens,
    cached_tokens: row.cachedTokens,
    cache_write_tokens: row.cacheWriteTokens,
    reasoning_tokens: row.reasoningTokens,
    usage_estimated: row.usageEstimated,
    cost_usd: row.costUsd,
    cost_saved_usd: row.costSavedUsd,
    cache_origin_request_id: row.cacheOriginRequestId,
    service: row.serviceName,
    prompt_version: row.promptVersion,
    prompt_name: row.promptName ?? null,
    prompt_label: row.promptLabel ?? null,
    experiment_variant: row.experimentVariant,
    metadata: row.metadata,
    json_fixes: row.jsonFixes ?? null,
    reask_count: row.reaskCount ?? null,
    output_valid: row.outputValid ?? null,
  };
  if (detail) {
    wire['request_body'] = row.requestBody;
    wire['response_body'] = row.responseBody;
    wire['attempt_log'] = row.attempts.map((attempt) => ({
      provider: attempt.provider,
      model: attempt.model,
      started_at: new Date(attempt.startedAt).toISOString(),
      duration_ms: attempt.durationMs,
      status: attempt.statusCode,
      error_code: attempt.errorCode,
      error_message: attempt.errorMessage,
      kind: attempt.kind ?? null,
    }));
  }
  return wire;
}
