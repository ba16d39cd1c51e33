import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

/** Two instances on one database: keys are shared, and a revocation reaches the other within the cache time. */
const CACHE_MS = 400;
let first: TestGateway;
let second: TestGateway;

beforeAll(async () => {
  const databaseUrl = `sqlite://${join(mkdtempSync(join(tmpdir(), 'sluice-shared-')), 'sluice.db')}`;
  const config = {
    auth: { master_key: TEST_MASTER_KEY, key_cache_ttl_ms: CACHE_MS },
    storage: { database_url: databaseUrl },
    providers: [{ name: 'mock', type: 'mock' as const, models: ['echo'] }],
  };
  first = await startTestGateway(config);
  second = await startTestGateway(config);
});

afterAll(async () => {
  await first?.close();
  await second?.close();
});

describe('keys in the database', () => {
  it('a key made on one instance works on the other; its revocation stops it at once here and within the cache time there', async () => {
    const response = await fetch(`${first.url}/admin/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shared' }),
    });
    const created: unknown = await response.json();
    const id = typeof created === 'object' && created !== null && 'id' in created ? String(created.id) : '';
    const key = typeof created === 'object' && created !== null && 'key' in created ? String(created.key) : '';
    const onFirst = new OpenAI({ baseURL: `${first.url}/v1`, apiKey: key, maxRetries: 0 });
    const onSecond = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: key, maxRetries: 0 });
    await expect(onSecond.models.list()).resolves.toBeDefined();
    await expect(onFirst.models.list()).resolves.toBeDefined();

    const revoked = await fetch(`${first.url}/admin/api/keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
    expect(revoked.status).toBe(200);
    const revokedAt = Date.now();
    await expect(onFirst.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    let stoppedAfter: number | null = null;
    while (Date.now() - revokedAt < CACHE_MS + 2000) {
      const ok = await onSecond.models.list().then(() => true, () => false);
      if (!ok) {
        stoppedAfter = Date.now() - revokedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(stoppedAfter).not.toBeNull();
    expect(stoppedAfter ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(CACHE_MS + 100);
  });
});
