import { sql } from 'kysely';
import type { Kysely, RawBuilder } from 'kysely';
import { z } from 'zod';
import type { TimeWindow } from '../request-log-store.js';
import { HISTOGRAM_SIZE, LATENCY_BUCKET_BOUNDS_MS, ROLLUP_HOUR_MS, estimatePercentile } from '../rollup-store.js';
import type { RollupBucket, RollupDimension, RollupFilter, RollupPoint, RollupStore } from '../rollup-store.js';
import type { DatabaseSchema } from './database-schema.js';
import { ROLLUP_DIMENSION_COLUMN, ROLLUP_DIMENSION_COLUMNS, ROLLUP_INTEGER_MEASURES, ROLLUP_REAL_MEASURES, histogramColumns } from './rollup-columns.js';

const BUCKET_MS: Record<RollupBucket, number> = { hour: ROLLUP_HOUR_MS, day: 86_400_000 };
const WATERMARK = 'request_rollups_hourly';

const number = z.union([z.null(), z.coerce.number()]).transform((value) => value ?? 0);
const groupValue = z.union([z.null(), z.coerce.string()]);

/** Each rollup column as an aggregate over request_logs, in the order of ROLLUP_COLUMNS. */
function rawAggregates(): RawBuilder<unknown>[] {
  const histogram = (column: 'duration_ms' | 'ttft_ms'): RawBuilder<unknown>[] => Array.from({ length: HISTOGRAM_SIZE }, (_item, index) => {
    const lower = index === 0 ? null : LATENCY_BUCKET_BOUNDS_MS[index - 1];
    const upper = index < LATENCY_BUCKET_BOUNDS_MS.length ? LATENCY_BUCKET_BOUNDS_MS[index] : null;
    const ref = sql.ref(column);
    const above = lower === null || lower === undefined ? sql`${ref} IS NOT NULL` : sql`${ref} > ${sql.lit(lower)}`;
    const below = upper === null || upper === undefined ? sql`1 = 1` : sql`${ref} <= ${sql.lit(upper)}`;
    return sql`sum(CASE WHEN ${above} AND ${below} THEN 1 ELSE 0 END)`;
  });
  return [
    sql`count(*)`,
    sql`sum(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END)`,
    sql`sum(prompt_tokens)`, sql`sum(completion_tokens)`, sql`sum(total_tokens)`, sql`sum(cached_tokens)`,
    sql`sum(cache_write_tokens)`, sql`sum(reasoning_tokens)`,
    sql`sum(CASE WHEN cache_status IN ('hit', 'semantic_hit', 'coalesced') THEN 1 ELSE 0 END)`,
    sql`sum(CASE WHEN cache_status IS NOT NULL AND cache_status <> 'bypass' THEN 1 ELSE 0 END)`,
    sql`sum(cost_usd)`, sql`coalesce(sum(cost_saved_usd), 0)`,
    ...histogram('duration_ms'),
    ...histogram('ttft_ms'),
  ];
}

const MEASURE_COLUMNS = [...ROLLUP_INTEGER_MEASURES, ...ROLLUP_REAL_MEASURES, ...histogramColumns()];

/**
 * Rollups over SQLite or Postgres. A refresh is one transaction that deletes the window's hours
 * and re-inserts them with INSERT … SELECT … GROUP BY, so the database does the work, readers
 * never see half an hour, and refreshing twice gives the same rows.
 */
export class SqlRollupStore implements RollupStore {
  private readonly database: Kysely<DatabaseSchema>;

  constructor(database: Kysely<DatabaseSchema>) {
    this.database = database;
  }

  async refresh(window: TimeWindow): Promise<number> {
    const from = Math.floor(window.since / ROLLUP_HOUR_MS) * ROLLUP_HOUR_MS;
    const to = Math.ceil(window.until / ROLLUP_HOUR_MS) * ROLLUP_HOUR_MS;
    if (to <= from) return 0;
    const hour = sql.lit(ROLLUP_HOUR_MS);
    const dimensions = ROLLUP_DIMENSION_COLUMNS.filter((column) => column !== 'status_class').map((column) => sql.ref(column));
    const statusClass = sql`CAST(status_code / 100 AS TEXT) || 'xx'`;
    const columns = ['bucket_start', ...ROLLUP_DIMENSION_COLUMNS.filter((column) => column !== 'status_class'), 'status_class', ...MEASURE_COLUMNS];
    return this.database.transaction().execute(async (transaction) => {
      await sql`DELETE FROM request_rollups_hourly WHERE bucket_start >= ${from} AND bucket_start < ${to}`.execute(transaction);
      const result = await sql`INSERT INTO request_rollups_hourly (${sql.join(columns.map((column) => sql.ref(column)))})
        SELECT (started_at / ${hour}) * ${hour}, ${sql.join(dimensions)}, ${statusClass}, ${sql.join(rawAggregates())}
        FROM request_logs WHERE started_at >= ${from} AND started_at < ${to}
        GROUP BY (started_at / ${hour}) * ${hour}, ${sql.join(dimensions)}, ${statusClass}`.execute(transaction);
      return Number(result.numAffectedRows ?? 0n);
    });
  }

  async coveredUntil(): Promise<number> {
    const row = await this.database.selectFrom('rollup_state').select('covered_until').where('name', '=', WATERMARK).executeTakeFirst();
    return row === undefined ? 0 : number.parse(row.covered_until);
  }

  async markCovered(until: number): Promise<void> {
    const aligned = Math.floor(until / ROLLUP_HOUR_MS) * ROLLUP_HOUR_MS;
    await this.database.insertInto('rollup_state').values({ name: WATERMARK, covered_until: aligned })
      .onConflict((conflict) => conflict.column('name').doUpdateSet({
        covered_until: sql<number>`CASE WHEN rollup_state.covered_until > ${aligned} THEN rollup_state.covered_until ELSE ${aligned} END`,
      }))
      .execute();
  }

  async series(filter: RollupFilter, bucket: RollupBucket, groupBy: RollupDimension | null): Promise<RollupPoint[]> {
    const size = sql.lit(BUCKET_MS[bucket]);
    return this.aggregate(filter, sql`(bucket_start / ${size}) * ${size}`, groupBy);
  }

  async totals(filter: RollupFilter, groupBy: RollupDimension | null): Promise<RollupPoint[]> {
    return this.aggregate(filter, null, groupBy);
  }

  async deleteBefore(cutoff: number): Promise<number> {
    const result = await this.database.deleteFrom('request_rollups_hourly').where('bucket_start', '<', cutoff).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  private async aggregate(filter: RollupFilter, bucketExpression: RawBuilder<unknown> | null, groupBy: RollupDimension | null): Promise<RollupPoint[]> {
    const group = groupBy === null ? sql`NULL` : sql.ref(ROLLUP_DIMENSION_COLUMN[groupBy]);
    const conditions = [sql`bucket_start >= ${filter.since}`, sql`bucket_start < ${filter.until}`];
    if (filter.tenantId !== undefined) conditions.push(sql`tenant_id = ${filter.tenantId}`);
    for (const [dimension, column] of Object.entries(ROLLUP_DIMENSION_COLUMN)) {
      const value = (filter as Partial<Record<string, string>>)[dimension];
      if (value !== undefined) conditions.push(sql`${sql.ref(column)} = ${value}`);
    }
    const groupings = [...(bucketExpression === null ? [] : [bucketExpression]), ...(groupBy === null ? [] : [group])];
    const result = await sql<Record<string, unknown>>`SELECT ${bucketExpression ?? sql`NULL`} AS bucket_value, ${group} AS group_value,
        ${sql.join(MEASURE_COLUMNS.map((column) => sql`sum(${sql.ref(column)}) AS ${sql.ref(column)}`))}
      FROM request_rollups_hourly WHERE ${sql.join(conditions, sql` AND `)}
      ${groupings.length === 0 ? sql`` : sql`GROUP BY ${sql.join(groupings)}`}
      ORDER BY ${bucketExpression === null ? sql`requests DESC` : sql`bucket_value, requests DESC`}`.execute(this.database);
    return result.rows
      .filter((row) => number.parse(row.requests) > 0)
      .map((row) => toPoint(row, bucketExpression === null));
  }
}

function toPoint(row: Record<string, unknown>, total: boolean): RollupPoint {
  const read = (column: string): number => number.parse(row[column]);
  const latencyHistogram = Array.from({ length: HISTOGRAM_SIZE }, (_item, index) => read(`latency_h${index}`));
  const ttftHistogram = Array.from({ length: HISTOGRAM_SIZE }, (_item, index) => read(`ttft_h${index}`));
  const percentiles = (histogram: number[]) => ({
    p50: estimatePercentile(histogram, 0.5), p95: estimatePercentile(histogram, 0.95), p99: estimatePercentile(histogram, 0.99),
  });
  return {
    bucketStart: total ? null : read('bucket_value'),
    group: groupValue.parse(row.group_value ?? null),
    requests: read('requests'),
    errors: read('errors'),
    promptTokens: read('prompt_tokens'),
    completionTokens: read('completion_tokens'),
    totalTokens: read('total_tokens'),
    cachedTokens: read('cached_tokens'),
    cacheWriteTokens: read('cache_write_tokens'),
    reasoningTokens: read('reasoning_tokens'),
    // Rounded as the raw summary rounds, so both answer the same figure.
    costUsd: Math.round(read('cost_usd') * 1e8) / 1e8,
    cacheHits: read('cache_hits'),
    cacheLookups: read('cache_lookups'),
    savedUsd: Math.round(read('saved_usd') * 1e8) / 1e8,
    latencyMs: percentiles(latencyHistogram),
    timeToFirstTokenMs: percentiles(ttftHistogram),
    latencyHistogram,
    ttftHistogram,
  };
}
