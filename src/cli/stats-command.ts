import { GROUP_BY_FIELDS } from '../storage/index.js';
import type { GroupByField, SummaryGroup } from '../storage/index.js';
import { toWireFigures } from '../http/index.js';
import { parseTimePoint } from '../lib/index.js';
import { openConfiguredDatabase } from './open-configured-database.js';
import { formatTable } from './format-table.js';

export interface StatsOptions {
  config?: string;
  since?: string;
  until?: string;
  by?: string;
  json?: boolean;
}

/** `sluice stats`: requests, error rate, latency percentiles, tokens, cost, cache hit rate and dollars saved per group. */
export async function runStats(options: StatsOptions): Promise<void> {
  const groupBy = parseGroupBy(options.by);
  const now = Date.now();
  const since = parseTimePoint(options.since ?? '24h', now);
  const until = options.until === undefined ? now + 1 : parseTimePoint(options.until, now);
  if (since === null || until === null) throw new Error('--since/--until: use a duration (1h, 7d), an ISO date or epoch ms');
  const database = await openConfiguredDatabase(options.config);
  try {
    const groups = await database.requestLog.summary({ since, until }, groupBy, {});
    if (options.json === true) {
      process.stdout.write(`${JSON.stringify({ since: new Date(since).toISOString(), until: new Date(until).toISOString(), group_by: groupBy, data: groups.map(toWireFigures) })}\n`);
      return;
    }
    const header = [groupBy ?? 'all', 'requests', 'errors', 'p50 ms', 'p95 ms', 'p99 ms', 'ttft p50', 'tokens in', 'tokens out', 'cost USD', 'cache hits', 'saved USD'];
    const rows = groups.map((group) => formatGroup(group, groupBy));
    process.stdout.write(`${formatTable(header, rows)}\n`);
  } finally {
    await database.close();
  }
}

function formatGroup(group: SummaryGroup, groupBy: GroupByField | null): string[] {
  const ms = (value: number | null) => (value === null ? '-' : String(Math.round(value)));
  return [
    groupBy === null ? 'all' : group.group ?? '(none)',
    String(group.requests),
    group.requests === 0 ? '-' : `${(group.errorRate * 100).toFixed(1)}%`,
    ms(group.latencyMs.p50), ms(group.latencyMs.p95), ms(group.latencyMs.p99), ms(group.timeToFirstTokenMs.p50),
    String(group.promptTokens), String(group.completionTokens),
    group.costUsd.toFixed(6),
    group.cacheHits === 0 ? '-' : `${group.cacheHits} (${(group.cacheHitRate * 100).toFixed(1)}%)`,
    group.savedUsd.toFixed(6),
  ];
}

function parseGroupBy(value: string | undefined): GroupByField | null {
  if (value === undefined) return null;
  const found = GROUP_BY_FIELDS.find((field) => field === value);
  if (found === undefined) throw new Error(`--by: one of ${GROUP_BY_FIELDS.join(', ')}`);
  return found;
}
