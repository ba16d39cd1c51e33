import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RequestSummary } from '../src/core/index.js';
import { createMetrics, QUARANTINE_FILE, RequestLogWriter, toRequestLogValues } from '../src/observability/index.js';
import { openDatabase } from '../src/storage/index.js';
import type { Database } from '../src/storage/index.js';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';

const silent = { warn: () => {}, error: () => {} };
const quarantineLine = z.object({ quarantinedAt: z.number(), error: z.string(), row: z.array(z.unknown()) });

function summary(requestId: string, change: Partial<RequestSummary> = {}): RequestSummary {
  return {
    requestId, startedAt: 1_700_000_000_000, endedAt: 1_700_000_000_010, durationMs: 10, timeToFirstTokenMs: null,
    endpoint: 'chat.completions', keyId: null, tenantId: null, endUser: 'someone', requestedModel: 'm', provider: 'p',
    providerModel: 'm', attempts: [], stream: false, status: 200, errorCode: null, errorMessage: null, usage: null,
    metadata: null, overheadMs: 1, costUsd: 0, usageEstimated: false, ...change,
  };
}

/** 8 kB that does not compress, so Postgres cannot squeeze it under its btree entry limit. */
const HUGE_MODEL = randomBytes(6144).toString('base64');

/**
 * The rows of one scenario: ordinary ones, one whose user carries a NUL byte, one with an 8 kB
 * model name, and one no database takes whatever is done to its text (no status code).
 */
function scenarioRows(prefix: string): { good: string[]; poison: string; summaries: RequestSummary[] } {
  const good = Array.from({ length: 8 }, (_, index) => `${prefix}-ok-${index}`);
  const summaries = good.map((id) => summary(id));
  summaries[2] = summary(good[2] ?? '', { endUser: 'a\u0000b' });
  summaries[5] = summary(good[5] ?? '', { requestedModel: HUGE_MODEL });
  const poison = `${prefix}-poison`;
  summaries.splice(4, 0, summary(poison, { status: Number.NaN }));
  return { good, poison, summaries };
}

function describeBadRows(backend: string, open: (name: string) => Promise<{ database: Database; cleanup: () => Promise<void> }>): void {
  describe(`request log on ${backend}: one bad row never stops the log`, () => {
    let database: Database;
    let cleanup: () => Promise<void>;
    let directory: string;

    beforeAll(async () => {
      ({ database, cleanup } = await open('bad_rows'));
      await database.migrate();
      directory = mkdtempSync(join(tmpdir(), 'sluice-bad-rows-'));
    });
    afterAll(async () => {
      await cleanup?.();
      rmSync(directory, { recursive: true, force: true });
    });

    function writer(state: string, metrics = createMetrics({ processMetrics: false })): RequestLogWriter {
      return new RequestLogWriter({
        store: database.requestLog, probe: () => database.ping(), spillDirectory: join(directory, state),
        flushIntervalMs: 60_000, batchSize: 50, logger: silent, metrics,
      });
    }

    function quarantined(state: string): Array<z.infer<typeof quarantineLine>> {
      const path = join(directory, state, QUARANTINE_FILE);
      if (!existsSync(path)) return [];
      return readFileSync(path, 'utf8').trim().split('\n').map((line) => quarantineLine.parse(JSON.parse(line)));
    }

    it('a NUL-byte user and an 8 kB model leave every other row of the batch written and one quarantined row', async () => {
      const metrics = createMetrics({ processMetrics: false });
      const subject = writer('live', metrics);
      const { good, poison, summaries } = scenarioRows('live');
      for (const item of summaries) subject.handle({ type: 'request-end', summary: item });
      await subject.close();

      for (const id of good) expect(await database.requestLog.get(id, {}), id).not.toBeNull();
      expect(await database.requestLog.get(poison, {})).toBeNull();
      expect((await database.requestLog.get(good[2] ?? '', {}))?.endUser).toBe('ab');
      expect((await database.requestLog.get(good[5] ?? '', {}))?.requestedModel).toBe(HUGE_MODEL.slice(0, 512));
      const entries = quarantined('live');
      expect(entries.map((entry) => entry.row[1])).toEqual([poison]);
      expect((await metrics.requestLogRowsQuarantined.get()).values[0]?.value).toBe(1);
      expect(readdirSync(join(directory, 'live')).filter((name) => name.startsWith('request-log-spill-'))).toEqual([]);
    });

    it('a spill file holding those rows drains: the rest are replayed and the bad row is quarantined', async () => {
      const { good, poison, summaries } = scenarioRows('spilled');
      const state = join(directory, 'spilled');
      mkdirSync(state, { recursive: true });
      const lines = summaries.map((item) => JSON.stringify(toRequestLogValues(item))).join('\n');
      // pid 2^22+1 is above Linux's pid_max default: a process that died leaving its spill file.
      writeFileSync(join(state, 'request-log-spill-4194305.jsonl'), `${lines}\n`, { flag: 'w' });
      const subject = writer('spilled');
      subject.start();
      await subject.flush();
      await subject.close();

      for (const id of good) expect(await database.requestLog.get(id, {}), id).not.toBeNull();
      expect(quarantined('spilled').map((entry) => entry.row[1])).toEqual([poison]);
      expect(readdirSync(state).filter((name) => name !== QUARANTINE_FILE)).toEqual([]);
    });
  });
}

describeBadRows('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-bad-rows-db-'));
  const database = await openDatabase(`sqlite://${join(directory, 'log.db')}`, { cwd: directory });
  return { database, cleanup: async () => { await database.close(); rmSync(directory, { recursive: true, force: true }); } };
});

let server: PostgresServer | undefined;
describeBadRows('Postgres', async (name) => {
  server ??= await startPostgresServer();
  const database = await openDatabase(await createDatabase(server, name), { cwd: tmpdir() });
  return { database, cleanup: async () => { await database.close(); server?.destroy(); } };
});
