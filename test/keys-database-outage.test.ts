import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/index.js';
import { createGateway } from '../src/main.js';
import type { Gateway } from '../src/main.js';
import { openDatabase } from '../src/storage/index.js';
import { ManualClock } from './support/manual-clock.js';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';

const MASTER_KEY = 'sk-test-master-key-keys-outage';

/** Issue 11, point 4: virtual keys through a Postgres outage. */
describe('keys survive a database outage', () => {
  let server: PostgresServer;
  let databaseUrl: string;
  let gateway: Gateway;
  let baseUrl: string;
  let directory: string;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    server = await startPostgresServer();
    directory = mkdtempSync(join(tmpdir(), 'sluice-keys-outage-'));
    databaseUrl = await createDatabase(server, 'gateway');
    const resolved = resolveConfig({
      auth: { master_key: MASTER_KEY, key_cache_ttl_ms: 5000 },
      storage: { database_url: databaseUrl },
      logging: { level: 'silent' },
      providers: [{ name: 'mock', type: 'mock' }],
      models: [{ name: 'echo', targets: [{ provider: 'mock', model: 'echo' }] }],
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    gateway = await createGateway(resolved.config, { cwd: directory, clock, logger: pino({ level: 'silent' }) });
    baseUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    server?.start();
    await gateway?.close();
    server?.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  function chat(key: string): Promise<Response> {
    return fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    });
  }

  it('a known key keeps working past its cache time, an unknown one gets a 503 to retry, and a revocation applies once the database is back', async () => {
    const created = await fetch(`${baseUrl}/admin/api/keys`, {
      method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'outage' }),
    });
    expect(created.status).toBe(201);
    const { key, id } = await created.json() as { key: string; id: string };
    expect((await chat(key)).status).toBe(200);

    server.stop();
    // Far past the 5 s cache time: the key is served stale, because the store cannot be asked.
    await clock.advance(60_000);
    const stale = await chat(key);
    expect(stale.status).toBe(200);

    const unknown = await chat('sk-sluice-never-issued-key-0000000000000000');
    expect(unknown.status).toBe(503);
    expect(unknown.headers.get('x-request-id')).toMatch(/^req_/);
    expect(unknown.headers.get('retry-after')).toBe('1');
    expect(await unknown.json()).toMatchObject({ error: { code: 'service_unavailable', type: 'api_error' } });
    // A burst during the outage: never a 500.
    const statuses = await Promise.all(Array.from({ length: 20 }, (_item, index) => chat(index % 2 === 0 ? key : 'sk-sluice-unknown-x').then((response) => response.status)));
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);

    server.start();
    // Revoked elsewhere (another instance, or the CLI) while this instance still caches the key.
    const other = await openDatabase(databaseUrl, { cwd: directory });
    try {
      await other.keys.update(id, { revokedAt: clock.now(), enabled: false, updatedAt: clock.now() });
    } finally {
      await other.close();
    }
    await clock.advance(5001);
    // The store is asked again at most a second after its last failure; then the revocation holds.
    const deadline = Date.now() + 15_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await chat(key)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(401);
  }, 60_000);
});
