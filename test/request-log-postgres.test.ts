import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/index.js';
import { createGateway } from '../src/main.js';
import type { Gateway } from '../src/main.js';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';

const MASTER_KEY = 'sk-test-master-key-pg';

describe('request log on Postgres, with the database stopped in the middle of the load', () => {
  let server: PostgresServer;
  let gateway: Gateway;
  let baseUrl: string;
  let directory: string;

  beforeAll(async () => {
    server = await startPostgresServer();
    directory = mkdtempSync(join(tmpdir(), 'sluice-pg-log-'));
    const resolved = resolveConfig({
      auth: { master_key: MASTER_KEY },
      storage: { database_url: await createDatabase(server, 'gateway') },
      logging: { level: 'silent', request_log: { flush_interval_ms: 50, batch_size: 50 } },
      providers: [{ name: 'mock', type: 'mock' }],
      models: [{ name: 'priced', targets: [{ provider: 'mock', model: 'echo' }], pricing: { input_per_mtok: 1, output_per_mtok: 2 } }],
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    gateway = await createGateway(resolved.config, { cwd: directory });
    baseUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    server?.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  async function send(count: number, user: string): Promise<void> {
    const responses = await Promise.all(Array.from({ length: count }, () => fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'x-sluice-user': user },
      body: JSON.stringify({ model: 'priced', messages: [{ role: 'user', content: 'one two' }] }),
    }).then(async (response) => {
      await response.arrayBuffer();
      return response.status;
    })));
    expect(responses.every((status) => status === 200)).toBe(true);
  }

  async function readiness(): Promise<number> {
    return (await fetch(`${baseUrl}/health/ready`)).status;
  }

  it('keeps serving while Postgres is down, and every row arrives once it is back', async () => {
    await send(100, 'before');
    await gateway.flushRequestLog();
    expect(await gateway.database.requestLog.count({})).toBe(100);

    server.stop();
    for (let wave = 0; wave < 5; wave += 1) {
      await send(60, 'during');
      await gateway.flushRequestLog();
    }
    expect(await readiness()).toBe(503);
    server.start();
    expect(await readiness()).toBe(200);
    await send(40, 'after');

    const deadline = Date.now() + 45_000;
    let count = 0;
    while (Date.now() < deadline) {
      await gateway.flushRequestLog();
      count = await gateway.database.requestLog.count({});
      if (count >= 440) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(count).toBe(440);

    const window = { since: Date.now() - 3_600_000, until: Date.now() + 1 };
    const byUser = await gateway.database.requestLog.summary(window, 'user', {});
    expect(Object.fromEntries(byUser.map((group) => [group.group, group.requests]))).toEqual({ before: 100, during: 300, after: 40 });
    // echo "one two": 3 + 2 = 5 prompt tokens and 2 completion tokens, at 1 and 2 USD per million.
    const during = byUser.find((group) => group.group === 'during');
    expect(during).toMatchObject({ promptTokens: 1500, completionTokens: 600, errors: 0 });
    expect(during?.costUsd).toBeCloseTo((1500 * 1 + 600 * 2) / 1e6, 12);
  }, 90_000);
});
