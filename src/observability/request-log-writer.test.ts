import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestSummary } from '../core/index.js';
import { openDatabase } from '../storage/index.js';
import type { Database, RequestLogStore, RequestLogValues } from '../storage/index.js';
import { RequestLogWriter } from './request-log-writer.js';
import { toRequestLogValues } from './to-request-log-values.js';

const silent = { warn: () => {}, error: () => {} };

function summary(index: number): RequestSummary {
  return {
    requestId: `req-${index}`, startedAt: 1_700_000_000_000 + index, endedAt: 1_700_000_000_010 + index, durationMs: 10,
    timeToFirstTokenMs: null, endpoint: 'chat.completions', keyId: null, tenantId: null, endUser: null, requestedModel: 'm',
    provider: 'p', providerModel: 'm', attempts: [], stream: false, status: 200, errorCode: null, errorMessage: null,
    usage: null, metadata: null, overheadMs: 1, costUsd: 0, usageEstimated: false,
  };
}

/** A real SQLite store behind a switch: while `down` its writes fail, while `hung` they never finish. */
class SwitchableStore {
  down = false;
  hung = false;
  insertCalls = 0;
  readonly store: RequestLogStore;

  constructor(inner: RequestLogStore) {
    const insert = async (rows: readonly RequestLogValues[]): Promise<void> => {
      this.insertCalls += 1;
      if (this.down) throw new Error('connection refused');
      if (this.hung) return new Promise(() => {});
      return inner.insert(rows);
    };
    this.store = new Proxy(inner, {
      get: (target, property, receiver) => (property === 'insert' ? insert : Reflect.get(target, property, receiver)),
    });
  }
}

describe('RequestLogWriter', () => {
  let directory: string;
  let database: Database;
  let switchable: SwitchableStore;
  let now: number;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-writer-'));
    database = await openDatabase(`sqlite://${join(directory, 'log.db')}`, { cwd: directory });
    await database.migrate();
    switchable = new SwitchableStore(database.requestLog);
    now = 1_000_000;
  });
  afterEach(async () => {
    await database.close();
    rmSync(directory, { recursive: true, force: true });
  });

  function writer(options: { batchSize?: number; maxQueueRows?: number; writeTimeoutMs?: number } = {}): RequestLogWriter {
    return new RequestLogWriter({
      store: switchable.store, spillDirectory: join(directory, 'state'), flushIntervalMs: 60_000, logger: silent,
      clock: () => now, retryDelayMs: 1000, ...options,
    });
  }

  it('writes in batches of batchSize and flushes the rest on close', async () => {
    const subject = writer({ batchSize: 10 });
    for (let index = 0; index < 25; index += 1) subject.handle({ type: 'request-end', summary: summary(index) });
    await subject.flush();
    await subject.close();
    expect(await database.requestLog.count({})).toBe(25);
    expect(switchable.insertCalls).toBe(3);
  });

  it('spills rows while the database is down and replays them once it is back, losing none', async () => {
    const subject = writer({ batchSize: 5 });
    switchable.down = true;
    for (let index = 0; index < 12; index += 1) subject.handle({ type: 'request-end', summary: summary(index) });
    await subject.flush();
    // One failed attempt, then the writer leaves the database alone and spills the rest.
    expect(switchable.insertCalls).toBe(1);
    expect(readdirSync(join(directory, 'state')).some((name) => name.startsWith('request-log-spill-'))).toBe(true);
    switchable.down = false;
    for (let index = 12; index < 15; index += 1) subject.handle({ type: 'request-end', summary: summary(index) });
    await subject.flush();
    expect(await database.requestLog.count({})).toBe(0);
    now += 1000;
    await subject.flush();
    expect(await database.requestLog.count({})).toBe(15);
    expect(readdirSync(join(directory, 'state')).filter((name) => name.endsWith('.jsonl'))).toEqual([]);
    await subject.close();
  });

  it('never lets a hung database hold rows: the batch times out and goes to disk', async () => {
    const subject = writer({ batchSize: 100, writeTimeoutMs: 50 });
    switchable.hung = true;
    const started = performance.now();
    for (let index = 0; index < 10; index += 1) subject.handle({ type: 'request-end', summary: summary(index) });
    expect(performance.now() - started).toBeLessThan(20);
    await subject.close();
    switchable.hung = false;
    const next = writer();
    now += 60_000;
    next.start();
    await next.flush();
    expect(await database.requestLog.count({})).toBe(10);
    await next.close();
  });

  it('moves the oldest rows to disk when the queue is full, and replays a dead process\'s spill file at start', async () => {
    const subject = writer({ batchSize: 5, maxQueueRows: 8 });
    switchable.hung = true;
    for (let index = 0; index < 20; index += 1) subject.handle({ type: 'request-end', summary: summary(index) });
    expect(subject.queuedRows).toBeLessThanOrEqual(8);
    switchable.hung = false;
    await subject.close();
    // The queued rows reached the database; the overflow waits on disk for the next start.
    expect(await database.requestLog.count({})).toBe(8);

    const orphan = [toRequestLogValues(summary(100)), toRequestLogValues(summary(101))].map((row) => JSON.stringify(row)).join('\n');
    // A row object, as a spill file written before the flat values holds them.
    const [written] = (await database.requestLog.list({ since: 0, until: Date.now() }, { limit: 1 }, {})).data;
    const legacy = JSON.stringify({ ...written, rowKey: 'legacy-row', requestId: 'legacy-1' });
    // pid 2^22+1 is above Linux's pid_max default, so no such process runs; the last line is torn.
    writeFileSync(join(directory, 'state', 'request-log-spill-4194305.jsonl'), `${orphan}\n${legacy}\n["tor`);
    const restarted = writer();
    restarted.start();
    await restarted.flush();
    expect(await database.requestLog.count({})).toBe(23);
    expect(await database.requestLog.get('legacy-1', {})).toMatchObject({ requestId: 'legacy-1', statusCode: 200 });
    await restarted.close();
  });
});
