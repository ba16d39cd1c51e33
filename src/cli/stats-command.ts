import { GROUP_BY_FIELDS } from '../storage/index.js';
import type { GroupByField, SummaryGroup } from '../storage/index.js';
import { toWireFigures } from '../http/index.js';
import { loadConfig } from '../config/index.js';
import { parseTimePoint } from '../lib/index.js';
import { providerCapRows } from './provider-cap-rows.js';
import type { ProviderCapRow } from './provider-cap-rows.js';
import { openConfiguredDatabase } from './open-configured-database.js';
import { formatTable } from './format-table.js';

export interface StatsOptions {
  config?: string;
  since?: string;
  until?: string;
  by?: string;
  json?: boolean;
}

/**
 * `sluice stats`: requests, error rate, latency percentiles, tokens, cost, cache hit rate and
 * dollars saved per group; with `--by provider`, also each provider's spend against its day and
 * month caps.
 */
export async function runStats(options: StatsOptions): Promise<void> {
  const groupBy = parseGroupBy(options.by);
  const now = Date.now();
  const since = parseTimePoint(options.since ?? '24h', now);
  const until = options.until === undefined ? now + 1 : parseTimePoint(options.until, now);
  if (since === null || until === null) throw new Error('--since/--until: use a duration (1h, 7d), an ISO date or epoch ms');
  const database = await openConfiguredDatabase(options.config);
  try {
    const groups = await database.requestLog.summary({ since, until }, groupBy, {});
    let caps: ProviderCapRow[] = [];
    if (groupBy === 'provider') {
      const { config } = loadConfig({ file: options.config });
      if (config.providers.some((provider) => provider.limits !== undefined)) {
        const date = new Date(now);
        const today = await database.requestLog.summary({ since: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()), until: now + 1 }, 'provider', {});
        const month = await database.requestLog.summary({ since: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1), until: now + 1 }, 'provider', {});
        caps = providerCapRows(config.providers, today, month, now);
      }
    }
    if (options.json === true) {
      const body: Record<string, unknown> = { since: new Date(since).toISOString(), until: new Date(until).toISOString(), group_by: groupBy, data: groups.map(toWireFigures) };
      if (groupBy === 'provider') body.caps = caps;
      process.stdout.write(`${JSON.stringify(body)}\n`);
      return;
    }
    // Per service, what `get_service_stats()` reports: success, valid-output, repair and re-ask rates.
    const serviceColumns = groupBy === 'service';
    const header = [groupBy ?? 'all', 'requests', 'errors', ...(serviceColumns ? ['success', 'valid', 'repaired', 're-asked'] : []),
      'p50 ms', 'p95 ms', 'p99 ms', 'ttft p50', 'tokens in', 'tokens out', 'cost USD', 'cache hits', 'saved USD'];
    const rows = groups.map((group) => formatGroup(group, groupBy));
    process.stdout.write(`${formatTable(header, rows)}\n`);
    if (caps.length > 0) {
      const capRows = caps.map((row) => {
        const usd = row.cap.startsWith('usd');
        const amount = (value: number) => (usd ? value.toFixed(2) : String(value));
        return [row.provider, row.cap, amount(row.used), amount(row.limit), `${(row.fraction * 100).toFixed(1)}%`, row.resets_at];
      });
      process.stdout.write(`\n${formatTable(['provider', 'cap', 'used', 'limit', 'use', 'resets at'], capRows)}\n`);
    }
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
    ...(groupBy === 'service'
      ? [percent(group.requests === 0 ? null : group.successRate), percent(group.outputValidRate), percent(group.jsonRepairRate), percent(group.reaskRate)]
      : []),
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

function percent(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`;
}
