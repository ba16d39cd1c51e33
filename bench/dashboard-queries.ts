/**
 * `npm run bench:dashboard`: the admin API queries the dashboard's Logs and Usage pages make,
 * timed on a request log of BENCH_ROWS rows (default 1,000,000) spread over 30 days. SQLite by
 * default; BENCH_DATABASE_URL=postgres://… measures Postgres instead. The figures go to
 * docs/dashboard.md; nothing here asserts a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestLogQueries } from '../src/inference/index.js';
import { MASTER_PRINCIPAL } from '../src/policies/index.js';
import { logRowToValues, openDatabase } from '../src/storage/index.js';
import type { RequestLogRow } from '../src/storage/index.js';
import { percentile } from './percentiles.js';

const ROWS = Number.parseInt(process.env.BENCH_ROWS ?? '1000000', 10);
const RUNS = Number.parseInt(process.env.BENCH_RUNS ?? '15', 10);
const DAY_MS = 86_400_000;
const MODELS = ['gpt-4o-mini', 'claude-haiku', 'gemini-flash', 'echo'];
const PROVIDERS = ['openai', 'anthropic', 'gemini', 'mock'];
const ERROR_CODES = ['provider_error', 'provider_rate_limited', 'provider_timeout'];

function seededRow(index: number, now: number): RequestLogRow {
  // Spread evenly over 30 days, newest last; a fixed pattern rather than randomness so runs compare.
  const startedAt = now - 30 * DAY_MS + Math.floor((index * 30 * DAY_MS) / ROWS);
  const failed = index % 50 === 0;
  const model = index % MODELS.length;
  const duration = 200 + (index % 997);
  return {
    rowKey: `bench-${index}`, requestId: `req_bench_${index}`, startedAt, endedAt: startedAt + duration, durationMs: duration,
    timeToFirstTokenMs: index % 3 === 0 ? 80 + (index % 211) : null, overheadMs: 1 + (index % 3), endpoint: 'chat.completions',
    keyId: `key_${index % 200}`, tenantId: `tenant_${index % 20}`, endUser: `user_${index % 5000}`,
    requestedModel: MODELS[model] ?? 'echo', provider: PROVIDERS[model] ?? 'mock', providerModel: `${MODELS[model]}-2026`,
    attemptCount: 1, cacheStatus: null, stream: index % 3 === 0, statusCode: failed ? 502 : 200,
    errorCode: failed ? ERROR_CODES[index % ERROR_CODES.length] ?? null : null, errorMessage: failed ? `upstream said overloaded ${index % 7}` : null,
    promptTokens: 100 + (index % 900), completionTokens: 20 + (index % 300), totalTokens: 120 + (index % 900) + (index % 300),
    cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, usageEstimated: false, costUsd: 0.0001 * (1 + (index % 10)),
    serviceName: index % 4 === 0 ? 'support-bot' : null, promptVersion: null, experimentVariant: null,
    metadata: index % 10 === 0 ? { session: `s${index % 1000}` } : null, requestBody: null, responseBody: null, attempts: [],
    costSavedUsd: null, cacheOriginRequestId: null,
  };
}

async function time(label: string, run: () => Promise<unknown>): Promise<void> {
  const samples: number[] = [];
  for (let index = 0; index < RUNS; index++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const format = (value: number | undefined) => (value ?? Number.NaN).toFixed(1).padStart(8);
  process.stdout.write(`${label.padEnd(58)} p50 ${format(percentile(samples, 0.5))} ms   p95 ${format(percentile(samples, 0.95))} ms\n`);
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-dashboard-bench-'));
  const url = process.env.BENCH_DATABASE_URL ?? `sqlite://${join(directory, 'bench.db')}`;
  const database = await openDatabase(url, { cwd: directory });
  try {
    await database.migrate();
    const now = Date.now();
    const seedStarted = performance.now();
    const batch = 5000;
    for (let start = 0; start < ROWS; start += batch) {
      const rows = [];
      for (let index = start; index < Math.min(ROWS, start + batch); index++) rows.push(logRowToValues(seededRow(index, now)));
      await database.requestLog.insert(rows);
    }
    process.stdout.write(`${database.kind}: seeded ${ROWS.toLocaleString('en-US')} rows in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s; ${RUNS} runs per query\n`);

    const queries = new RequestLogQueries(database.requestLog);
    const day = { since: now - DAY_MS, until: now + 1 };
    const month = { since: now - 30 * DAY_MS, until: now + 1 };
    const first = await queries.list(MASTER_PRINCIPAL, day, { limit: 25 });
    let deep = first.nextCursor ?? undefined;
    for (let page = 0; page < 20 && deep !== undefined; page++) deep = (await queries.list(MASTER_PRINCIPAL, day, { limit: 25, cursor: deep })).nextCursor ?? undefined;

    await time('Logs: first page, last 24 h', () => queries.list(MASTER_PRINCIPAL, day, { limit: 25 }));
    await time('Logs: page 21, last 24 h (keyset cursor)', () => queries.list(MASTER_PRINCIPAL, day, { limit: 25, cursor: deep }));
    await time('Logs: filter model + status=error, last 24 h', () => queries.list(MASTER_PRINCIPAL, { ...day, model: 'claude-haiku', status: 'error' }, { limit: 25 }));
    await time('Logs: filter user, last 30 d', () => queries.list(MASTER_PRINCIPAL, { ...month, endUser: 'user_42' }, { limit: 25 }));
    await time('Logs: tenant admin (scope), last 24 h', () => queries.list({ ...MASTER_PRINCIPAL, role: 'tenant_admin', tenantId: 'tenant_3' }, day, { limit: 25 }));
    await time('Logs: full-text "overloaded", last 24 h', () => queries.list(MASTER_PRINCIPAL, { ...day, query: 'overloaded' }, { limit: 25 }));
    await time('Usage: summary by model, last 24 h', () => queries.summary(MASTER_PRINCIPAL, day, 'model'));
    await time('Usage: timeseries by hour, last 24 h', () => queries.timeseries(MASTER_PRINCIPAL, day, 'hour', null));
    await time('Usage: top error codes, last 24 h', () => queries.topErrorCodes(MASTER_PRINCIPAL, day, 5));
    await time('Usage: summary by model, last 30 d', () => queries.summary(MASTER_PRINCIPAL, month, 'model'));
  } finally {
    await database.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
