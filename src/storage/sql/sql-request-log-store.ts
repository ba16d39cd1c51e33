import { sql } from 'kysely';
import type { ExpressionBuilder, Expression, Kysely, RawBuilder, SqlBool } from 'kysely';
import { z } from 'zod';
import type {
  AnalyticsFilter, AttemptLogRow, ErrorCodeCount, ExperimentOutcomeRow, GroupByField, LogFilter, LogPage, LogScope, RequestLogRow, RequestLogStore,
  SummaryGroup, TimeBucket, TimeseriesPoint, UserMonthCost,
} from '../request-log-store.js';
import { CACHE_STATUSES, GatewayError } from '../../core/index.js';
import { impliedAttempt } from '../request-log-values.js';
import type { RequestLogValues } from '../request-log-values.js';
import type { DatabaseSchema, SqlDialectName } from './database-schema.js';
import { jsonOutcomeSelections, toJsonOutcomeRates } from './json-outcome-figures.js';
import { toAttemptRecords, toRecord } from './request-log-columns.js';

/** Rows per INSERT statement: far below SQLite's and Postgres's bound-parameter limits. */
const INSERT_CHUNK = 400;

const BUCKET_MS: Record<TimeBucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

type Where = ExpressionBuilder<DatabaseSchema, 'request_logs'>;

const count = z.coerce.number();
const nullableNumber = z.union([z.null(), z.coerce.number()]);
const nullableString = z.string().nullable();

const logRecordSchema = z.object({
  id: count,
  row_key: z.string(),
  request_id: z.string(),
  started_at: count,
  ended_at: count,
  duration_ms: count,
  ttft_ms: nullableNumber,
  overhead_ms: count,
  endpoint: z.string(),
  key_id: nullableString,
  tenant_id: nullableString,
  end_user: nullableString,
  requested_model: nullableString,
  provider: nullableString,
  provider_model: nullableString,
  attempt_count: count,
  cache_status: z.enum(CACHE_STATUSES).nullable().catch(null),
  cost_saved_usd: nullableNumber,
  cache_origin_request_id: nullableString,
  stream: count,
  status_code: count,
  error_code: nullableString,
  error_message: nullableString,
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  cached_tokens: count,
  cache_write_tokens: count,
  reasoning_tokens: count,
  usage_estimated: count,
  cost_usd: count,
  service_name: nullableString,
  prompt_version: nullableString,
  prompt_name: nullableString,
  prompt_label: nullableString,
  experiment_variant: nullableString,
  metadata: nullableString,
  request_body: nullableString.optional(),
  response_body: nullableString.optional(),
  json_fixes: nullableString.optional(),
  reask_count: nullableNumber.optional(),
  output_valid: nullableNumber.optional(),
});

const attemptRecordSchema = z.object({
  attempt_index: count,
  provider: z.string(),
  model: z.string(),
  started_at: count,
  duration_ms: count,
  status_code: nullableNumber,
  error_code: nullableString,
  error_message: nullableString,
  kind: nullableString.optional(),
});

const figuresSchema = z.object({
  group_value: z.union([z.null(), z.coerce.string()]),
  requests: count,
  errors: z.union([z.null(), z.coerce.number()]).transform((value) => value ?? 0),
  latency_p50: nullableNumber,
  latency_p95: nullableNumber,
  latency_p99: nullableNumber,
  ttft_p50: nullableNumber,
  ttft_p95: nullableNumber,
  ttft_p99: nullableNumber,
  prompt_tokens: nullableNumber,
  completion_tokens: nullableNumber,
  total_tokens: nullableNumber,
  cached_tokens: nullableNumber,
  reasoning_tokens: nullableNumber,
  cost_usd: nullableNumber,
  cache_hits: nullableNumber,
  cache_lookups: nullableNumber,
  saved_usd: nullableNumber,
  json_checked: nullableNumber,
  json_valid: nullableNumber,
  json_repaired: nullableNumber,
  reask_runs: nullableNumber,
  reasked: nullableNumber,
});

const LIST_COLUMNS = [
  'id', 'row_key', 'request_id', 'started_at', 'ended_at', 'duration_ms', 'ttft_ms', 'overhead_ms', 'endpoint', 'key_id',
  'tenant_id', 'end_user', 'requested_model', 'provider', 'provider_model', 'attempt_count', 'cache_status', 'stream',
  'status_code', 'error_code', 'error_message', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cached_tokens',
  'cache_write_tokens', 'reasoning_tokens', 'usage_estimated', 'cost_usd', 'service_name', 'prompt_version',
  'prompt_name', 'prompt_label', 'experiment_variant', 'metadata', 'json_fixes', 'reask_count', 'output_valid',
  'cost_saved_usd', 'cache_origin_request_id',
] as const;

/**
 * The request log over any SQL database Kysely speaks. The two dialects differ only in the few
 * fragments below: percentiles, month formatting and full-text search.
 */
export class SqlRequestLogStore implements RequestLogStore {
  private readonly database: Kysely<DatabaseSchema>;
  private readonly dialect: SqlDialectName;
  private readonly insertRows: ((rows: readonly RequestLogValues[]) => Promise<void>) | undefined;

  /**
   * `insertRows` lets a backend write rows its own way: SQLite binds them by position to
   * statements prepared once, in a worker thread, because its driver is synchronous and the
   * request log is its one hot query. Without it, rows go through Kysely (Postgres's async pool).
   */
  constructor(database: Kysely<DatabaseSchema>, dialect: SqlDialectName, insertRows?: (rows: readonly RequestLogValues[]) => Promise<void>) {
    this.database = database;
    this.dialect = dialect;
    this.insertRows = insertRows;
  }

  async insert(rows: readonly RequestLogValues[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.insertRows !== undefined) return this.insertRows(rows);
    await this.database.transaction().execute(async (transaction) => {
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        const chunk = rows.slice(start, start + INSERT_CHUNK);
        await transaction.insertInto('request_logs').values(chunk.map(toRecord))
          .onConflict((conflict) => conflict.column('row_key').doNothing()).execute();
        const attempts = chunk.flatMap(toAttemptRecords);
        if (attempts.length > 0) {
          await transaction.insertInto('request_attempts').values(attempts)
            .onConflict((conflict) => conflict.columns(['row_key', 'attempt_index']).doNothing()).execute();
        }
      }
    });
  }

  async list(filter: LogFilter, page: { limit: number; cursor?: string | undefined }, scope: LogScope): Promise<LogPage> {
    const cursor = page.cursor === undefined ? null : decodeCursor(page.cursor);
    const records = await this.database.selectFrom('request_logs').select(LIST_COLUMNS)
      .where((builder) => builder.and([
        ...this.logConditions(builder, filter, scope),
        ...(cursor === null ? [] : [builder.or([
          builder('started_at', '<', cursor.startedAt),
          builder.and([builder('started_at', '=', cursor.startedAt), builder('id', '<', cursor.id)]),
        ])]),
      ]))
      .orderBy('started_at', 'desc').orderBy('id', 'desc')
      .limit(page.limit + 1)
      .execute();
    const parsed = records.map((record) => logRecordSchema.parse(record));
    const more = parsed.length > page.limit;
    const visible = more ? parsed.slice(0, page.limit) : parsed;
    const last = visible[visible.length - 1];
    return {
      data: visible.map((record) => fromRecord(record, [])),
      nextCursor: more && last !== undefined ? encodeCursor(last.started_at, last.id) : null,
    };
  }

  async get(requestId: string, scope: LogScope): Promise<RequestLogRow | null> {
    const found = await this.database.selectFrom('request_logs').selectAll()
      .where((builder) => builder.and([builder('request_id', '=', requestId), ...scopeConditions(builder, scope)]))
      .orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1)
      .executeTakeFirst();
    if (found === undefined) return null;
    const record = logRecordSchema.parse(found);
    const attempts = await this.database.selectFrom('request_attempts')
      .select(['attempt_index', 'provider', 'model', 'started_at', 'duration_ms', 'status_code', 'error_code', 'error_message', 'kind'])
      .where('row_key', '=', record.row_key).orderBy('attempt_index').execute();
    const row = fromRecord(record, attempts.map((attempt) => {
      const parsed = attemptRecordSchema.parse(attempt);
      return {
        provider: parsed.provider, model: parsed.model, startedAt: parsed.started_at, durationMs: parsed.duration_ms,
        statusCode: parsed.status_code, errorCode: parsed.error_code, errorMessage: parsed.error_message,
        // Only service re-asks carry a kind so far; rows of plain requests read as they always did.
        ...(parsed.kind === null || parsed.kind === undefined ? {} : { kind: parsed.kind }),
      };
    }));
    // A single successful attempt is not written as a row of its own (see needsAttemptRows).
    const implied = row.attempts.length === 0 ? impliedAttempt(row) : null;
    if (implied !== null) row.attempts.push(implied);
    return row;
  }

  async summary(filter: AnalyticsFilter, groupBy: GroupByField | null, scope: LogScope): Promise<SummaryGroup[]> {
    const group = groupExpression(groupBy);
    let query = this.database.selectFrom('request_logs')
      .select(group.as('group_value'))
      .select(this.figureSelections())
      .where((builder) => builder.and(this.logConditions(builder, filter, scope)));
    if (groupBy !== null) query = query.groupBy(group).orderBy('requests', 'desc');
    const records = await query.execute();
    return records.map((record) => toSummaryGroup(figuresSchema.parse(record)));
  }

  async timeseries(filter: AnalyticsFilter, bucket: TimeBucket, groupBy: GroupByField | null, scope: LogScope): Promise<TimeseriesPoint[]> {
    const size = sql.lit(BUCKET_MS[bucket]);
    const bucketStart = sql<number>`(started_at / ${size}) * ${size}`;
    const group = groupExpression(groupBy);
    const records = await this.database.selectFrom('request_logs')
      .select(bucketStart.as('bucket_start'))
      .select(group.as('group_value'))
      .select(this.figureSelections())
      .where((builder) => builder.and(this.logConditions(builder, filter, scope)))
      .groupBy(groupBy === null ? [bucketStart] : [bucketStart, group])
      .orderBy('bucket_start')
      .execute();
    return records.map((record) => ({
      bucketStart: count.parse(record.bucket_start),
      ...toSummaryGroup(figuresSchema.parse(record)),
    }));
  }

  async topErrorCodes(filter: AnalyticsFilter, limit: number, scope: LogScope): Promise<ErrorCodeCount[]> {
    const records = await this.database.selectFrom('request_logs')
      .select(['error_code', (builder) => builder.fn.countAll().as('count')])
      .where((builder) => builder.and([
        ...this.logConditions(builder, filter, scope),
        builder('error_code', 'is not', null),
      ]))
      .groupBy('error_code')
      .orderBy('count', 'desc').orderBy('error_code')
      .limit(limit)
      .execute();
    return records.map((record) => ({ errorCode: z.string().parse(record.error_code), count: count.parse(record.count) }));
  }

  async costPerUserPerMonth(filter: AnalyticsFilter, scope: LogScope): Promise<UserMonthCost[]> {
    const month = this.dialect === 'postgres'
      ? sql<string>`to_char(to_timestamp(started_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')`
      : sql<string>`strftime('%Y-%m', started_at / 1000, 'unixepoch')`;
    const records = await this.database.selectFrom('request_logs')
      .select([
        'end_user',
        month.as('month'),
        (builder) => builder.fn.countAll().as('requests'),
        (builder) => builder.fn.sum('cost_usd').as('cost_usd'),
      ])
      .where((builder) => builder.and(this.logConditions(builder, filter, scope)))
      .groupBy(['end_user', month])
      .orderBy('month').orderBy('cost_usd', 'desc')
      .execute();
    return records.map((record) => ({
      endUser: nullableString.parse(record.end_user),
      month: z.string().parse(record.month),
      requests: count.parse(record.requests),
      costUsd: roundCost(nullableNumber.parse(record.cost_usd) ?? 0),
    }));
  }

  async deleteBefore(cutoff: number, batchSize: number): Promise<number> {
    return this.database.transaction().execute(async (transaction) => {
      const victims = await transaction.selectFrom('request_logs').select(['id', 'row_key'])
        .where('started_at', '<', cutoff).orderBy('started_at').limit(batchSize).execute();
      if (victims.length === 0) return 0;
      await transaction.deleteFrom('request_attempts').where('row_key', 'in', victims.map((victim) => victim.row_key)).execute();
      await transaction.deleteFrom('request_logs').where('id', 'in', victims.map((victim) => victim.id)).execute();
      return victims.length;
    });
  }

  async count(scope: LogScope): Promise<number> {
    const record = await this.database.selectFrom('request_logs')
      .select((builder) => builder.fn.countAll().as('count'))
      .where((builder) => builder.and(scopeConditions(builder, scope)))
      .executeTakeFirstOrThrow();
    return count.parse(record.count);
  }

  async experimentOutcomes(prefix: string, since: number): Promise<ExperimentOutcomeRow[]> {
    // LIKE rather than a range on the text: a range depends on the collation (Postgres's may skip
    // punctuation), LIKE does not. The time bound lets the started_at index narrow the scan to the
    // phase; SQLite's LIKE ignores case, so the exact prefix is checked again below.
    const pattern = `${prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
    const rows = await this.database.selectFrom('request_logs')
      .select(['request_id', 'experiment_variant', 'started_at', 'status_code', 'error_code', 'duration_ms', 'prompt_tokens',
        'completion_tokens', 'cost_usd', 'cache_status'])
      .where('started_at', '>=', since)
      .where(sql<SqlBool>`experiment_variant like ${pattern} escape '\\'`)
      .orderBy('started_at').execute();
    const outcomes: ExperimentOutcomeRow[] = [];
    for (const row of rows) {
      if (row.experiment_variant === null || !row.experiment_variant.startsWith(prefix)) continue;
      outcomes.push({
        requestId: row.request_id,
        experimentVariant: row.experiment_variant,
        startedAt: count.parse(row.started_at),
        statusCode: count.parse(row.status_code),
        errorCode: row.error_code,
        durationMs: count.parse(row.duration_ms),
        promptTokens: count.parse(row.prompt_tokens),
        completionTokens: count.parse(row.completion_tokens),
        costUsd: count.parse(row.cost_usd),
        cacheStatus: row.cache_status,
      });
    }
    return outcomes;
  }

  private logConditions(builder: Where, filter: LogFilter, scope: LogScope): Array<Expression<SqlBool>> {
    const conditions: Array<Expression<SqlBool>> = [
      builder('started_at', '>=', filter.since),
      builder('started_at', '<', filter.until),
      ...scopeConditions(builder, scope),
    ];
    if (filter.model !== undefined) conditions.push(builder('requested_model', '=', filter.model));
    if (filter.provider !== undefined) conditions.push(builder('provider', '=', filter.provider));
    if (filter.keyId !== undefined) conditions.push(builder('key_id', '=', filter.keyId));
    if (filter.tenantId !== undefined) conditions.push(builder('tenant_id', '=', filter.tenantId));
    if (filter.endUser !== undefined) conditions.push(builder('end_user', '=', filter.endUser));
    if (filter.status === 'success') conditions.push(builder('status_code', '<', 400));
    if (filter.status === 'error') conditions.push(builder('status_code', '>=', 400));
    if (filter.errorCode !== undefined) conditions.push(builder('error_code', '=', filter.errorCode));
    if (filter.serviceName !== undefined) conditions.push(builder('service_name', '=', filter.serviceName));
    if (filter.query !== undefined && filter.query.trim() !== '') conditions.push(this.textSearch(filter.query));
    return conditions;
  }

  private textSearch(query: string): RawBuilder<SqlBool> {
    if (this.dialect === 'postgres') return sql<SqlBool>`search_document @@ plainto_tsquery('simple', ${query})`;
    const terms = query.match(/[\p{L}\p{N}_]+/gu) ?? [];
    if (terms.length === 0) return sql<SqlBool>`1 = 0`;
    const match = terms.map((term) => `"${term}"`).join(' ');
    return sql<SqlBool>`id IN (SELECT rowid FROM request_logs_fts WHERE request_logs_fts MATCH ${match})`;
  }

  private figureSelections() {
    const percentile = (column: 'duration_ms' | 'ttft_ms', fraction: number): RawBuilder<number | null> =>
      this.dialect === 'postgres'
        ? sql<number | null>`percentile_cont(${sql.lit(fraction)}) WITHIN GROUP (ORDER BY ${sql.ref(column)})`
        : sql<number | null>`percentile_cont(${sql.ref(column)}, ${sql.lit(fraction)})`;
    return [
      sql<number>`count(*)`.as('requests'),
      sql<number>`sum(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END)`.as('errors'),
      percentile('duration_ms', 0.5).as('latency_p50'),
      percentile('duration_ms', 0.95).as('latency_p95'),
      percentile('duration_ms', 0.99).as('latency_p99'),
      percentile('ttft_ms', 0.5).as('ttft_p50'),
      percentile('ttft_ms', 0.95).as('ttft_p95'),
      percentile('ttft_ms', 0.99).as('ttft_p99'),
      sql<number>`sum(prompt_tokens)`.as('prompt_tokens'),
      sql<number>`sum(completion_tokens)`.as('completion_tokens'),
      sql<number>`sum(total_tokens)`.as('total_tokens'),
      sql<number>`sum(cached_tokens)`.as('cached_tokens'),
      sql<number>`sum(reasoning_tokens)`.as('reasoning_tokens'),
      sql<number>`sum(cost_usd)`.as('cost_usd'),
      sql<number>`sum(CASE WHEN cache_status IN ('hit', 'semantic_hit', 'coalesced') THEN 1 ELSE 0 END)`.as('cache_hits'),
      sql<number>`sum(CASE WHEN cache_status IS NOT NULL AND cache_status <> 'bypass' THEN 1 ELSE 0 END)`.as('cache_lookups'),
      sql<number>`sum(cost_saved_usd)`.as('saved_usd'),
      ...jsonOutcomeSelections(),
    ] as const;
  }
}

/** The one place a scope turns into SQL. */
function scopeConditions(builder: Where, scope: LogScope): Array<Expression<SqlBool>> {
  return scope.tenantId === undefined ? [] : [builder('tenant_id', '=', scope.tenantId)];
}

function groupExpression(groupBy: GroupByField | null): RawBuilder<string | null> {
  switch (groupBy) {
    case null: return sql<null>`NULL`;
    case 'model': return sql<string | null>`requested_model`;
    case 'provider': return sql<string | null>`provider`;
    case 'key': return sql<string | null>`key_id`;
    case 'tenant': return sql<string | null>`tenant_id`;
    case 'user': return sql<string | null>`end_user`;
    case 'service': return sql<string | null>`service_name`;
    case 'endpoint': return sql<string>`endpoint`;
    case 'status': return sql<string>`CAST(status_code AS TEXT)`;
  }
}

function toSummaryGroup(figures: z.output<typeof figuresSchema>): SummaryGroup {
  return {
    group: figures.group_value,
    requests: figures.requests,
    errors: figures.errors,
    errorRate: figures.requests === 0 ? 0 : figures.errors / figures.requests,
    successRate: figures.requests === 0 ? 0 : (figures.requests - figures.errors) / figures.requests,
    latencyMs: { p50: figures.latency_p50, p95: figures.latency_p95, p99: figures.latency_p99 },
    timeToFirstTokenMs: { p50: figures.ttft_p50, p95: figures.ttft_p95, p99: figures.ttft_p99 },
    promptTokens: figures.prompt_tokens ?? 0,
    completionTokens: figures.completion_tokens ?? 0,
    totalTokens: figures.total_tokens ?? 0,
    cachedTokens: figures.cached_tokens ?? 0,
    reasoningTokens: figures.reasoning_tokens ?? 0,
    costUsd: roundCost(figures.cost_usd ?? 0),
    cacheHits: figures.cache_hits ?? 0,
    cacheHitRate: (figures.cache_lookups ?? 0) === 0 ? 0 : (figures.cache_hits ?? 0) / (figures.cache_lookups ?? 1),
    savedUsd: roundCost(figures.saved_usd ?? 0),
    ...toJsonOutcomeRates(figures),
  };
}

/** Sums of floating costs, rounded to a millionth of a cent so both backends print the same. */
function roundCost(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}

const metadataSchema = z.record(z.string(), z.string());

function fromRecord(record: z.output<typeof logRecordSchema>, attempts: AttemptLogRow[]): RequestLogRow {
  return {
    rowKey: record.row_key,
    requestId: record.request_id,
    startedAt: record.started_at,
    endedAt: record.ended_at,
    durationMs: record.duration_ms,
    timeToFirstTokenMs: record.ttft_ms,
    overheadMs: record.overhead_ms,
    endpoint: record.endpoint,
    keyId: record.key_id,
    tenantId: record.tenant_id,
    endUser: record.end_user,
    requestedModel: record.requested_model,
    provider: record.provider,
    providerModel: record.provider_model,
    attemptCount: record.attempt_count,
    cacheStatus: record.cache_status,
    stream: record.stream === 1,
    statusCode: record.status_code,
    errorCode: record.error_code,
    errorMessage: record.error_message,
    promptTokens: record.prompt_tokens,
    completionTokens: record.completion_tokens,
    totalTokens: record.total_tokens,
    cachedTokens: record.cached_tokens,
    cacheWriteTokens: record.cache_write_tokens,
    reasoningTokens: record.reasoning_tokens,
    usageEstimated: record.usage_estimated === 1,
    costUsd: record.cost_usd,
    serviceName: record.service_name,
    promptVersion: record.prompt_version,
    promptName: record.prompt_name,
    promptLabel: record.prompt_label,
    experimentVariant: record.experiment_variant,
    costSavedUsd: record.cost_saved_usd,
    cacheOriginRequestId: record.cache_origin_request_id,
    metadata: parseJsonColumn(record.metadata, metadataSchema),
    requestBody: record.request_body ?? null,
    responseBody: record.response_body ?? null,
    attempts,
    jsonFixes: parseJsonColumn(record.json_fixes ?? null, fixesSchema),
    reaskCount: record.reask_count ?? null,
    outputValid: record.output_valid === null || record.output_valid === undefined ? null : record.output_valid === 1,
  };
}

const fixesSchema = z.array(z.string());

/** A JSON text column read back; null when empty or no longer of its shape. */
function parseJsonColumn<Shape>(value: string | null, schema: z.ZodType<Shape>): Shape | null {
  if (value === null) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function encodeCursor(startedAt: number, id: number): string {
  return Buffer.from(`${startedAt}.${id}`).toString('base64url');
}

/** Throws invalid_request on a cursor this store did not make. */
function decodeCursor(cursor: string): { startedAt: number; id: number } {
  const match = /^(\d+)\.(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const startedAt = Number(match?.[1]);
  const id = Number(match?.[2]);
  // Digits alone are not enough: past 2^53 they are not the numbers written, and past 2^63 Postgres
  // refuses them as bigints (a 500 for what is bad input).
  if (!Number.isSafeInteger(startedAt) || !Number.isSafeInteger(id)) {
    throw new GatewayError('invalid_request', 'cursor is not one this API returned', { param: 'cursor' });
  }
  return { startedAt, id };
}
