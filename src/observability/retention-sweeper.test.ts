import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLeaseStore, SingletonLease, openDatabase } from '../storage/index.js';
import type { Database } from '../storage/index.js';
import { RetentionSweeper } from './retention-sweeper.js';
import { toRequestLogValues } from './to-request-log-values.js';

const DAY = 86_400_000;

describe('RetentionSweeper', () => {
  let directory: string;
  let database: Database;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-retention-'));
    database = await openDatabase(`sqlite://${join(directory, 'log.db')}`, { cwd: directory });
    await database.migrate();
  });
  afterEach(async () => {
    await database.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('deletes rows (bodies and attempts included) older than the retention, in batches, and keeps the rest', async () => {
    const now = 100 * DAY;
    const ages = [40, 35, 31, 31, 31, 29, 1];
    await database.requestLog.insert(ages.map((age, index) => toRequestLogValues({
      requestId: `r${index}`, startedAt: now - age * DAY, endedAt: now - age * DAY + 5, durationMs: 5, timeToFirstTokenMs: null,
      endpoint: 'chat.completions', keyId: null, tenantId: null, endUser: null, requestedModel: 'm', provider: 'p', providerModel: 'm',
      attempts: [{ provider: 'p', model: 'm', startedAt: now - age * DAY, durationMs: 4, status: 200, errorCode: null, errorMessage: null }],
      stream: false, status: 200, errorCode: null, errorMessage: null, usage: null, metadata: { age: String(age) }, overheadMs: 1,
      costUsd: 0, usageEstimated: false, requestBody: { secret: 'x' }, responseBody: 'ok',
    })));
    const sweeper = new RetentionSweeper({
      store: database.requestLog, retentionDays: 30, batchSize: 2, clock: () => now, logger: { info: () => {}, error: () => {} },
    });
    sweeper.start();
    expect(await sweeper.sweep()).toBeGreaterThanOrEqual(0);
    await sweeper.stop();
    expect(await database.requestLog.count({})).toBe(2);
    expect(await database.requestLog.get('r0', {})).toBeNull();
    expect((await database.requestLog.get('r5', {}))?.attempts).toHaveLength(1);
    const search = await database.requestLog.list({ since: 0, until: now, query: '31' }, { limit: 10 }, {});
    expect(search.data).toEqual([]);
  });

  it('with a lease, only the instance that holds it sweeps', async () => {
    const now = 100 * DAY;
    await database.requestLog.insert([40, 1].map((age, index) => toRequestLogValues({
      requestId: `old${index}`, startedAt: now - age * DAY, endedAt: now - age * DAY + 5, durationMs: 5, timeToFirstTokenMs: null,
      endpoint: 'chat.completions', keyId: null, tenantId: null, endUser: null, requestedModel: 'm', provider: 'p', providerModel: 'm',
      attempts: [], stream: false, status: 200, errorCode: null, errorMessage: null, usage: null, metadata: {}, overheadMs: 1,
      costUsd: 0, usageEstimated: false, requestBody: null, responseBody: null,
    })));
    const store = new MemoryLeaseStore();
    const leases = ['a', 'b'].map((owner) => new SingletonLease({ store, name: 'retention-sweeper', owner, clock: { now: () => now, setTimer: () => () => {} } }));
    for (const lease of leases) await lease.tick();
    const logger = { info: () => {}, error: () => {} };
    const [holder, other] = leases.map((lease) => new RetentionSweeper({ store: database.requestLog, retentionDays: 30, clock: () => now, logger, lease }));
    expect(await other?.sweep()).toBe(0);
    expect(await database.requestLog.count({})).toBe(2);
    expect(await holder?.sweep()).toBe(1);
    expect(await database.requestLog.count({})).toBe(1);
  });
});
