import { beforeAll, describe, expect, it } from 'vitest';
import { logRowToValues } from './request-log-values.js';
import type { Database, RequestLogRow } from './request-log-store.js';
import { ROLLUP_HOUR_MS, histogramIndex } from './rollup-store.js';

/** 2026-04-01T00:00:00Z, a round day. */
const BASE = Date.UTC(2026, 3, 1);
const HOURS = 30;
const ROWS = 1500;

/** A small deterministic generator, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function seededRows(seed: number, count: number, offset: number): RequestLogRow[] {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  return Array.from({ length: count }, (_item, index) => {
    const startedAt = BASE + Math.floor(next() * HOURS * ROLLUP_HOUR_MS);
    const status = pick([200, 200, 200, 200, 429, 500, 502]);
    const durationMs = Math.floor(next() ** 3 * 9000) + 1;
    const streamed = next() < 0.5;
    const promptTokens = Math.floor(next() * 2000);
    const completionTokens = Math.floor(next() * 500);
    const cacheStatus = pick([null, 'miss', 'hit', 'bypass'] as const);
    return {
      rowKey: `rollup-${seed}-${offset + index}`, requestId: `req-${seed}-${offset + index}`,
      startedAt, endedAt: startedAt + durationMs, durationMs,
      timeToFirstTokenMs: streamed ? Math.floor(durationMs / 3) : null, overheadMs: 1,
      endpoint: pick(['chat.completions', 'embeddings']),
      keyId: pick(['key-a', 'key-b', 'key-c', null]), tenantId: pick(['tenant-1', 'tenant-2', null]), endUser: null,
      requestedModel: pick(['model-a', 'model-b', 'model-c']), provider: pick(['openai', 'anthropic']), providerModel: null,
      attemptCount: 1, cacheStatus, costSavedUsd: cacheStatus === 'hit' ? 0.000_25 : null, cacheOriginRequestId: null,
      stream: streamed, statusCode: status, errorCode: status >= 400 ? 'upstream_error' : null, errorMessage: null,
      promptTokens, completionTokens, totalTokens: promptTokens + completionTokens,
      cachedTokens: Math.floor(next() * 100), cacheWriteTokens: 0, reasoningTokens: Math.floor(next() * 50), usageEstimated: false,
      // Whole micro-dollars: sums in any order are then exact.
      costUsd: Math.floor(next() * 5000) / 1e6,
      serviceName: pick([null, 'summarise']), promptVersion: pick([null, 'greeting@3']), experimentVariant: pick([null, 'exp-1:control', 'exp-1:treatment']),
      metadata: null, requestBody: null, responseBody: null, attempts: [],
    };
  });
}

/** The behaviour every RollupStore must show; run against SQLite and real Postgres. */
export function describeRollupStoreContract(name: string, open: () => Promise<Database>): void {
  describe(`RollupStore contract: ${name}`, () => {
    let database: Database;
    const window = { since: BASE, until: BASE + HOURS * ROLLUP_HOUR_MS };

    beforeAll(async () => {
      database = await open();
      await database.requestLog.insert(seededRows(7, ROWS, 0).map(logRowToValues));
      await database.rollups.refresh(window);
    });

    it('for a seeded random workload, rollup sums equal raw sums exactly, in total and per model', async () => {
      const [rolled] = await database.rollups.totals(window, null);
      const [raw] = await database.requestLog.summary(window, null, {});
      expect(rolled?.requests).toBe(ROWS);
      expect(rolled).toMatchObject({
        requests: raw?.requests, errors: raw?.errors, promptTokens: raw?.promptTokens, completionTokens: raw?.completionTokens,
        totalTokens: raw?.totalTokens, cachedTokens: raw?.cachedTokens, reasoningTokens: raw?.reasoningTokens,
        costUsd: raw?.costUsd, cacheHits: raw?.cacheHits, savedUsd: raw?.savedUsd,
      });
      const rolledByModel = await database.rollups.totals(window, 'model');
      const rawByModel = await database.requestLog.summary(window, 'model', {});
      expect(rolledByModel.map((group) => [group.group, group.requests, group.costUsd, group.promptTokens]).sort())
        .toEqual(rawByModel.map((group) => [group.group, group.requests, group.costUsd, group.promptTokens]).sort());
    });

    it('hourly and daily series by key answer the same figures as the raw timeseries', async () => {
      for (const bucket of ['hour', 'day'] as const) {
        const rolled = await database.rollups.series(window, bucket, 'key');
        const raw = await database.requestLog.timeseries(window, bucket, 'key', {});
        const shape = (points: ReadonlyArray<{ bucketStart: number | null; group: string | null; requests: number; errors: number; totalTokens: number; costUsd: number }>) =>
          points.map((point) => `${point.bucketStart}|${point.group}|${point.requests}|${point.errors}|${point.totalTokens}|${point.costUsd}`).sort();
        expect(shape(rolled)).toEqual(shape(raw));
        expect(rolled.length).toBeGreaterThan(bucket === 'hour' ? HOURS : 1);
      }
    });

    it('estimated p50, p95 and p99 are within one histogram bucket of the exact percentiles', async () => {
      for (const model of ['model-a', 'model-b', 'model-c']) {
        const [rolled] = await database.rollups.totals({ ...window, model }, null);
        const [raw] = await database.requestLog.summary({ ...window, model }, null, {});
        for (const key of ['p50', 'p95', 'p99'] as const) {
          const estimate = rolled?.latencyMs[key];
          const exact = raw?.latencyMs[key];
          expect(estimate).not.toBeNull();
          expect(Math.abs(histogramIndex(estimate ?? 0) - histogramIndex(exact ?? 0))).toBeLessThanOrEqual(1);
          const ttftEstimate = rolled?.timeToFirstTokenMs[key];
          const ttftExact = raw?.timeToFirstTokenMs[key];
          expect(Math.abs(histogramIndex(ttftEstimate ?? 0) - histogramIndex(ttftExact ?? 0))).toBeLessThanOrEqual(1);
        }
      }
    });

    it('filters by every dimension, by tenant scope and by status class', async () => {
      const raw = seededRows(7, ROWS, 0);
      const expectCount = async (filter: Parameters<Database['rollups']['totals']>[0], predicate: (row: RequestLogRow) => boolean) => {
        const [rolled] = await database.rollups.totals(filter, null);
        expect(rolled?.requests ?? 0).toBe(raw.filter(predicate).length);
      };
      await expectCount({ ...window, key: 'key-b' }, (row) => row.keyId === 'key-b');
      await expectCount({ ...window, tenantId: 'tenant-2', provider: 'anthropic' }, (row) => row.tenantId === 'tenant-2' && row.provider === 'anthropic');
      await expectCount({ ...window, service: 'summarise' }, (row) => row.serviceName === 'summarise');
      await expectCount({ ...window, promptVersion: 'greeting@3' }, (row) => row.promptVersion === 'greeting@3');
      await expectCount({ ...window, variant: 'exp-1:treatment' }, (row) => row.experimentVariant === 'exp-1:treatment');
      await expectCount({ ...window, endpoint: 'embeddings' }, (row) => row.endpoint === 'embeddings');
      await expectCount({ ...window, statusClass: '5xx' }, (row) => row.statusCode >= 500);
      const byVariant = await database.rollups.totals(window, 'variant');
      expect(byVariant.map((group) => group.group).sort()).toEqual(['exp-1:control', 'exp-1:treatment', null].sort());
    });

    it('a refresh is idempotent; a late row is counted once its hour is refreshed, and a replayed row never twice', async () => {
      const before = (await database.rollups.totals(window, null))[0]?.requests;
      await database.rollups.refresh(window);
      expect((await database.rollups.totals(window, null))[0]?.requests).toBe(before);
      const [late] = seededRows(99, 1, 0);
      if (late === undefined) throw new Error('no late row');
      const values = logRowToValues({ ...late, startedAt: BASE + 5 * ROLLUP_HOUR_MS + 10, endedAt: BASE + 5 * ROLLUP_HOUR_MS + 20 });
      await database.requestLog.insert([values]);
      await database.requestLog.insert([values]);
      await database.rollups.refresh({ since: BASE + 5 * ROLLUP_HOUR_MS, until: BASE + 5 * ROLLUP_HOUR_MS + 1 });
      expect((await database.rollups.totals(window, null))[0]?.requests).toBe((before ?? 0) + 1);
    });

    it('the watermark only moves forward, hour-aligned', async () => {
      const start = await database.rollups.coveredUntil();
      await database.rollups.markCovered(BASE + 10 * ROLLUP_HOUR_MS + 123);
      expect(await database.rollups.coveredUntil()).toBe(Math.max(start, BASE + 10 * ROLLUP_HOUR_MS));
      await database.rollups.markCovered(BASE);
      expect(await database.rollups.coveredUntil()).toBe(Math.max(start, BASE + 10 * ROLLUP_HOUR_MS));
    });

    it('retention drops rollup hours before the cutoff and keeps the rest', async () => {
      const cutoff = BASE + 24 * ROLLUP_HOUR_MS;
      expect(await database.rollups.deleteBefore(cutoff)).toBeGreaterThan(0);
      expect(await database.rollups.totals({ since: BASE, until: cutoff }, null)).toEqual([]);
      expect((await database.rollups.totals({ since: cutoff, until: window.until }, null))[0]?.requests).toBeGreaterThan(0);
    });
  });
}
