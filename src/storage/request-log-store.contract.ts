import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logRowToValues } from './index.js';
import type { Database, RequestLogRow } from './index.js';
import { createMigrations } from './sql/migrations.js';

/** The behaviour every request-log backend must show; run by the SQLite and Postgres tests. */
export function describeRequestLogStoreContract(name: string, open: () => Promise<{ database: Database; cleanup: () => Promise<void> }>): void {
  describe(`RequestLogStore contract: ${name}`, () => {
    let database: Database;
    let cleanup: () => Promise<void>;
    // 2026-03-01T10:00:00Z, a round minute.
    const base = Date.UTC(2026, 2, 1, 10, 0, 0);
    const window = { since: base - 1, until: base + 86_400_000 * 40 };

    beforeAll(async () => {
      ({ database, cleanup } = await open());
      expect(await database.migrate()).toEqual(Object.keys(createMigrations(database.kind)).sort());
      expect(await database.migrate()).toEqual([]);
      await database.requestLog.insert(DATASET.map((row, index) => logRowToValues(makeRow(base, index, row))));
    });
    afterAll(async () => {
      await cleanup();
    });

    it('answers a ping', async () => {
      await expect(database.ping()).resolves.toBeUndefined();
    });

    it('summarises everything with percentiles computed like percentile_cont', async () => {
      const [all] = await database.requestLog.summary(window, null, {});
      // durations: 100 200 300 400 1000 50 150 250 (sorted: 50 100 150 200 250 300 400 1000)
      expect(all).toMatchObject({
        group: null,
        requests: 8,
        errors: 3,
        errorRate: 3 / 8,
        promptTokens: 10 + 20 + 30 + 40 + 50 + 0 + 0 + 60,
        completionTokens: 5 * 5 + 6,
        costUsd: 0.0255,
      });
      // p50: position 3.5 → (200 + 250) / 2; p95: 6.65 → 400 + 0.65 × 600; p99: 6.93 → 400 + 0.93 × 600
      expect(all?.latencyMs.p50).toBeCloseTo(225, 6);
      expect(all?.latencyMs.p95).toBeCloseTo(790, 6);
      expect(all?.latencyMs.p99).toBeCloseTo(958, 6);
      // Time to first token exists only on the three streamed rows: 40, 80, 120.
      expect(all?.timeToFirstTokenMs.p50).toBeCloseTo(80, 6);
      expect(all?.timeToFirstTokenMs.p95).toBeCloseTo(116, 6);
    });

    it('groups by model, provider, key, user, status and tenant', async () => {
      const byModel = await database.requestLog.summary(window, 'model', {});
      const modelA = byModel.find((group) => group.group === 'model-a');
      const modelB = byModel.find((group) => group.group === 'model-b');
      expect(byModel[0]?.group).toBe('model-a');
      expect(modelA).toMatchObject({ requests: 5, errors: 1, promptTokens: 150 });
      expect(modelA?.latencyMs.p50).toBeCloseTo(300, 6);
      expect(modelA?.latencyMs.p95).toBeCloseTo(880, 6);
      expect(modelA?.latencyMs.p99).toBeCloseTo(976, 6);
      expect(modelB).toMatchObject({ requests: 3, errors: 2 });
      expect(modelB?.latencyMs.p50).toBeCloseTo(150, 6);

      const byStatus = await database.requestLog.summary(window, 'status', {});
      expect(Object.fromEntries(byStatus.map((group) => [group.group, group.requests]))).toEqual({ 200: 5, 429: 1, 502: 2 });
      const byUser = await database.requestLog.summary(window, 'user', {});
      expect(byUser.find((group) => group.group === 'alice')?.requests).toBe(5);
      const byTenant = await database.requestLog.summary(window, 'tenant', {});
      expect(byTenant.find((group) => group.group === 't1')?.requests).toBe(6);
      const byKey = await database.requestLog.summary(window, 'key', {});
      expect(byKey.find((group) => group.group === 'key-2')?.requests).toBe(2);
    });

    it('applies filters and the tenant scope', async () => {
      const [scoped] = await database.requestLog.summary(window, null, { tenantId: 't2' });
      expect(scoped?.requests).toBe(2);
      const [filtered] = await database.requestLog.summary({ ...window, model: 'model-b', provider: 'beta' }, null, {});
      expect(filtered?.requests).toBe(2);
      const [later] = await database.requestLog.summary({ since: base + 4 * 60_000, until: window.until }, null, {});
      expect(later?.requests).toBe(4);
    });

    it('buckets a time series by minute, hour and day', async () => {
      const minutes = await database.requestLog.timeseries(window, 'minute', null, {});
      expect(minutes.map((point) => [point.bucketStart - base, point.requests])).toEqual([
        [0, 1], [60_000, 1], [120_000, 1], [180_000, 1], [240_000, 1], [300_000, 1], [360_000, 1], [86_400_000 * 31, 1],
      ]);
      const days = await database.requestLog.timeseries(window, 'day', 'model', {});
      const firstDay = base - (base % 86_400_000);
      expect(days.map((point) => [point.bucketStart - firstDay, point.group, point.requests])).toEqual(expect.arrayContaining([
        [0, 'model-a', 5], [0, 'model-b', 2], [86_400_000 * 31, 'model-b', 1],
      ]));
      expect(days).toHaveLength(3);
      const hours = await database.requestLog.timeseries(window, 'hour', null, {});
      expect(hours[0]).toMatchObject({ requests: 7, errors: 3 });
    });

    it('ranks error codes and sums cost per user per month', async () => {
      expect(await database.requestLog.topErrorCodes(window, 10, {})).toEqual([
        { errorCode: 'provider_error', count: 2 },
        { errorCode: 'rate_limit_exceeded', count: 1 },
      ]);
      const costs = await database.requestLog.costPerUserPerMonth(window, {});
      expect(costs).toEqual(expect.arrayContaining([
        { endUser: 'alice', month: '2026-03', requests: 5, costUsd: 0.015 },
        { endUser: 'bob', month: '2026-03', requests: 2, costUsd: 0 },
        { endUser: 'bob', month: '2026-04', requests: 1, costUsd: 0.0105 },
      ]));
      expect(costs).toHaveLength(3);
    });

    it('lists newest first with cursor pagination and filters', async () => {
      const first = await database.requestLog.list(window, { limit: 3 }, {});
      expect(first.data.map((row) => row.requestId)).toEqual(['req-7', 'req-6', 'req-5']);
      expect(first.nextCursor).not.toBeNull();
      const second = await database.requestLog.list(window, { limit: 3, cursor: first.nextCursor ?? undefined }, {});
      expect(second.data.map((row) => row.requestId)).toEqual(['req-4', 'req-3', 'req-2']);
      const third = await database.requestLog.list(window, { limit: 3, cursor: second.nextCursor ?? undefined }, {});
      expect(third.data.map((row) => row.requestId)).toEqual(['req-1', 'req-0']);
      expect(third.nextCursor).toBeNull();

      const errors = await database.requestLog.list({ ...window, status: 'error' }, { limit: 10 }, {});
      expect(errors.data.map((row) => row.requestId)).toEqual(['req-6', 'req-5', 'req-4']);
      const successes = await database.requestLog.list({ ...window, status: 'success', keyId: 'key-1' }, { limit: 10 }, {});
      expect(successes.data.map((row) => row.requestId)).toEqual(['req-3', 'req-2', 'req-1', 'req-0']);
      const byCode = await database.requestLog.list({ ...window, errorCode: 'provider_error' }, { limit: 10 }, {});
      expect(byCode.data.map((row) => row.errorCode)).toEqual(['provider_error', 'provider_error']);
      // No row of the dataset belongs to a service.
      expect((await database.requestLog.list({ ...window, serviceName: 'support-bot' }, { limit: 10 }, {})).data).toEqual([]);
      const scoped = await database.requestLog.list(window, { limit: 10 }, { tenantId: 't2' });
      expect(scoped.data.map((row) => row.requestId)).toEqual(['req-7', 'req-6']);
      await expect(database.requestLog.list(window, { limit: 3, cursor: 'bogus' }, {})).rejects.toMatchObject({ code: 'invalid_request' });
    });

    it('refuses a cursor whose numbers are past what it ever returns as invalid_request, not a database error', async () => {
      const window = { since: 0, until: Number.MAX_SAFE_INTEGER };
      for (const cursor of ['99999999999999999999999.1', '1.99999999999999999999999']) {
        await expect(database.requestLog.list(window, { limit: 3, cursor: Buffer.from(cursor).toString('base64url') }, {}))
          .rejects.toMatchObject({ code: 'invalid_request', param: 'cursor' });
      }
    });

    it('searches error messages, metadata and bodies as full text', async () => {
      const search = async (query: string) =>
        (await database.requestLog.list({ ...window, query }, { limit: 10 }, {})).data.map((row) => row.requestId);
      expect(await search('overloaded')).toEqual(['req-6', 'req-5']);
      expect(await search('Overloaded upstream')).toEqual(['req-6']);
      expect(await search('checkout')).toEqual(['req-1']);
      expect(await search('pineapple')).toEqual(['req-2']);
      expect(await search('nothing-like-this')).toEqual([]);
      expect(await search('"); DROP TABLE request_logs; --')).toEqual([]);
    });

    it('returns one request with its attempts, and the latest row for a repeated request id', async () => {
      const row = await database.requestLog.get('req-5', {});
      expect(row).toMatchObject({
        requestId: 'req-5', statusCode: 502, attemptCount: 2, stream: false, metadata: null,
        attempts: [
          { provider: 'beta', model: 'b-1', statusCode: 500, errorCode: 'provider_error', errorMessage: 'boom' },
          { provider: 'beta', model: 'b-1', statusCode: 502, errorCode: 'provider_error', errorMessage: 'boom' },
        ],
      });
      expect(await database.requestLog.get('req-2', {})).toMatchObject({ requestBody: '{"prompt":"pineapple pizza"}', responseBody: 'ok' });
      // One failed attempt is written as it was.
      expect((await database.requestLog.get('req-6', {}))?.attempts).toEqual([
        { provider: 'beta', model: 'b-1', startedAt: base + 6 * 60_000, durationMs: 10, statusCode: 502, errorCode: 'provider_error', errorMessage: 'boom' },
      ]);
    });

    it('implies the attempt of a request that succeeded at its first call instead of writing it', async () => {
      // req-0 lasted 100 ms with 1 ms of overhead: its call took the other 99 ms.
      expect((await database.requestLog.get('req-0', {}))?.attempts).toEqual([
        { provider: 'alpha', model: 'a-1', startedAt: base, durationMs: 99, statusCode: 200, errorCode: null, errorMessage: null },
      ]);
      expect(await database.requestLog.get('req-5', { tenantId: 't2' })).toBeNull();
      expect(await database.requestLog.get('missing', {})).toBeNull();
    });

    it('skips a row written twice, keeps two rows that share a client request id', async () => {
      const before = await database.requestLog.count({});
      const row = makeRow(base, 0, { ...DATASET[0]!, minute: 50_000 });
      await database.requestLog.insert([logRowToValues(row)]);
      await database.requestLog.insert([logRowToValues(row)]);
      await database.requestLog.insert([logRowToValues({ ...row, rowKey: `${row.rowKey}-again`, endedAt: row.endedAt + 1, statusCode: 201 })]);
      expect(await database.requestLog.count({})).toBe(before + 2);
      expect((await database.requestLog.get(row.requestId, {}))?.statusCode).toBe(201);
    });

    it("reads one experiment phase's exposures by their prefix, literally and from a time on", async () => {
      // Far after the dataset (minute 60,000+), so the windows and counts above never see these rows.
      const at = (minute: number, variant: string | null, index: number): RequestLogRow => ({
        ...makeRow(base, 1_000 + index, { ...DATASET[0]!, minute }), experimentVariant: variant,
      });
      await database.requestLog.insert([
        at(60_000, 'hero_test:1:control:abc:a', 0),
        at(60_001, 'hero_test:1:b:def:f', 1),
        at(60_002, 'hero_test:2:b:def:a', 2),
        // `_` and `%` are LIKE wildcards and SQLite's LIKE ignores case: neither may leak in.
        at(60_003, 'heroxtest:1:b:def:a', 3),
        at(60_004, 'HERO_TEST:1:b:def:a', 4),
        at(60_005, null, 5),
        at(59_000, 'hero_test:1:control:old:a', 6),
      ].map(logRowToValues));
      const since = base + 60_000 * 60_000;
      const outcomes = await database.requestLog.experimentOutcomes('hero_test:1:', since);
      expect(outcomes.map((outcome) => outcome.experimentVariant)).toEqual(['hero_test:1:control:abc:a', 'hero_test:1:b:def:f']);
      expect(outcomes[0]).toMatchObject({ requestId: 'req-1000', statusCode: 200, durationMs: DATASET[0]!.durationMs, costUsd: DATASET[0]!.cost });
      expect(await database.requestLog.experimentOutcomes('hero_test:1:', base)).toHaveLength(3);
    });

    it('deletes old rows in batches', async () => {
      const total = await database.requestLog.count({});
      const cutoff = base + 3 * 60_000;
      expect(await database.requestLog.deleteBefore(cutoff, 2)).toBe(2);
      expect(await database.requestLog.deleteBefore(cutoff, 2)).toBe(1);
      expect(await database.requestLog.deleteBefore(cutoff, 2)).toBe(0);
      expect(await database.requestLog.count({})).toBe(total - 3);
      expect(await database.requestLog.get('req-1', {})).toBeNull();
    });
  });
}

interface DatasetRow {
  minute: number;
  model: string;
  provider: string;
  key: string;
  tenant: string;
  user: string;
  status: number;
  errorCode?: string;
  errorMessage?: string;
  durationMs: number;
  ttftMs?: number;
  prompt: number;
  completion: number;
  cost: number;
  metadata?: Record<string, string>;
  requestBody?: string;
  attempts?: number;
}

/** Eight requests whose figures the tests above compute by hand. */
const DATASET: DatasetRow[] = [
  { minute: 0, model: 'model-a', provider: 'alpha', key: 'key-1', tenant: 't1', user: 'alice', status: 200, durationMs: 100, ttftMs: 40, prompt: 10, completion: 5, cost: 0.001 },
  { minute: 1, model: 'model-a', provider: 'alpha', key: 'key-1', tenant: 't1', user: 'alice', status: 200, durationMs: 200, prompt: 20, completion: 5, cost: 0.002, metadata: { team: 'checkout' } },
  { minute: 2, model: 'model-a', provider: 'alpha', key: 'key-1', tenant: 't1', user: 'alice', status: 200, durationMs: 300, ttftMs: 80, prompt: 30, completion: 5, cost: 0.003, requestBody: '{"prompt":"pineapple pizza"}' },
  { minute: 3, model: 'model-a', provider: 'alpha', key: 'key-1', tenant: 't1', user: 'alice', status: 200, durationMs: 400, prompt: 40, completion: 5, cost: 0.004 },
  { minute: 4, model: 'model-a', provider: 'alpha', key: 'key-3', tenant: 't1', user: 'alice', status: 429, errorCode: 'rate_limit_exceeded', errorMessage: 'slow down', durationMs: 1000, prompt: 50, completion: 5, cost: 0.005 },
  { minute: 5, model: 'model-b', provider: 'beta', key: 'key-3', tenant: 't1', user: 'bob', status: 502, errorCode: 'provider_error', errorMessage: 'beta is overloaded', durationMs: 50, prompt: 0, completion: 0, cost: 0, attempts: 2 },
  { minute: 6, model: 'model-b', provider: 'beta', key: 'key-2', tenant: 't2', user: 'bob', status: 502, errorCode: 'provider_error', errorMessage: 'Overloaded upstream', durationMs: 150, prompt: 0, completion: 0, cost: 0 },
  { minute: 60 * 24 * 31, model: 'model-b', provider: 'gamma', key: 'key-2', tenant: 't2', user: 'bob', status: 200, durationMs: 250, ttftMs: 120, prompt: 60, completion: 6, cost: 0.0105 },
];

function makeRow(base: number, index: number, row: DatasetRow): RequestLogRow {
  const startedAt = base + row.minute * 60_000;
  const attempts = Array.from({ length: row.attempts ?? 1 }, (_, attempt) => ({
    provider: row.provider,
    model: row.model.replace('model-', '') + '-1',
    startedAt: startedAt + attempt,
    durationMs: 10,
    statusCode: row.errorCode === undefined ? 200 : attempt === 0 && (row.attempts ?? 1) > 1 ? 500 : row.status,
    errorCode: row.errorCode ?? null,
    errorMessage: row.errorCode === undefined ? null : 'boom',
  }));
  return {
    rowKey: `row-${index}-${row.minute}`,
    requestId: `req-${index}`,
    startedAt,
    endedAt: startedAt + row.durationMs,
    durationMs: row.durationMs,
    timeToFirstTokenMs: row.ttftMs ?? null,
    overheadMs: 1,
    endpoint: 'chat.completions',
    keyId: row.key,
    tenantId: row.tenant,
    endUser: row.user,
    requestedModel: row.model,
    provider: row.provider,
    providerModel: `${row.model.replace('model-', '')}-1`,
    attemptCount: attempts.length,
    cacheStatus: null,
    costSavedUsd: null,
    cacheOriginRequestId: null,
    stream: row.ttftMs !== undefined,
    statusCode: row.status,
    errorCode: row.errorCode ?? null,
    errorMessage: row.errorMessage ?? null,
    promptTokens: row.prompt,
    completionTokens: row.completion,
    totalTokens: row.prompt + row.completion,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    usageEstimated: false,
    costUsd: row.cost,
    serviceName: null,
    promptVersion: null,
    experimentVariant: null,
    metadata: row.metadata ?? null,
    requestBody: row.requestBody ?? null,
    responseBody: row.requestBody === undefined ? null : 'ok',
    attempts,
  };
}
