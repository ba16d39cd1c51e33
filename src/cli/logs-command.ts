import { toWireLog } from '../http/index.js';
import { parseTimePoint } from '../lib/index.js';
import type { Database, LogFilter, RequestLogRow } from '../storage/index.js';
import { openConfiguredDatabase } from './open-configured-database.js';

export interface LogsOptions {
  config?: string;
  since?: string;
  until?: string;
  model?: string;
  provider?: string;
  key?: string;
  user?: string;
  status?: string;
  query?: string;
  limit?: string;
  follow?: boolean;
  json?: boolean;
}

/** Rows arrive after their request ends (and after a flush): follow looks back this far for late ones. */
const FOLLOW_LOOKBACK_MS = 10 * 60_000;
const FOLLOW_POLL_MS = 1000;

/** `sluice logs`: the request log, oldest first, optionally following new rows. */
export async function runLogs(options: LogsOptions): Promise<void> {
  const now = Date.now();
  const since = parseTimePoint(options.since ?? '1h', now);
  const until = options.until === undefined ? null : parseTimePoint(options.until, now);
  if (since === null || until === null && options.until !== undefined) throw new Error('--since/--until: use a duration (1h, 7d), an ISO date or epoch ms');
  if (options.status !== undefined && options.status !== 'success' && options.status !== 'error') throw new Error('--status: success or error');
  const limit = options.limit === undefined ? 100 : Number.parseInt(options.limit, 10);
  if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit: a positive integer');
  const filter = (from: number, to: number): LogFilter => ({
    since: from, until: to, model: options.model, provider: options.provider, keyId: options.key, endUser: options.user,
    status: options.status === 'success' || options.status === 'error' ? options.status : undefined, query: options.query,
  });
  const database = await openConfiguredDatabase(options.config);
  try {
    const page = await database.requestLog.list(filter(since, until ?? Date.now() + 1), { limit }, {});
    const seen = new Map<string, number>();
    for (const row of [...page.data].reverse()) {
      print(row, options.json === true);
      seen.set(row.rowKey, row.startedAt);
    }
    if (options.follow === true) await follow(database, filter, seen, options.json === true);
  } finally {
    await database.close();
  }
}

async function follow(database: Database, filter: (from: number, to: number) => LogFilter, seen: Map<string, number>, json: boolean): Promise<void> {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  while (!stopped) {
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    const now = Date.now();
    const page = await database.requestLog.list(filter(now - FOLLOW_LOOKBACK_MS, now + 1), { limit: 1000 }, {});
    for (const row of [...page.data].reverse()) {
      if (seen.has(row.rowKey)) continue;
      seen.set(row.rowKey, row.startedAt);
      print(row, json);
    }
    for (const [rowKey, startedAt] of seen) if (startedAt < now - FOLLOW_LOOKBACK_MS) seen.delete(rowKey);
  }
}

function print(row: RequestLogRow, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(toWireLog(row, false))}\n`);
    return;
  }
  const route = row.provider === null ? '' : ` → ${row.provider}/${row.providerModel ?? '?'}`;
  const tokens = row.totalTokens > 0 ? `  ${row.promptTokens}+${row.completionTokens} tok${row.usageEstimated ? '~' : ''}` : '';
  const cost = row.costUsd > 0 ? `  $${row.costUsd.toFixed(6)}` : '';
  const error = row.errorCode === null ? '' : `  ${row.errorCode}: ${row.errorMessage ?? ''}`;
  process.stdout.write(`${new Date(row.startedAt).toISOString()}  ${row.requestId}  ${row.statusCode}  ${row.endpoint}  ` +
    `${row.requestedModel ?? '-'}${route}  ${row.durationMs}ms${row.stream ? ' stream' : ''}${tokens}${cost}${error}\n`);
}
