import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/index.js';
import { createGateway } from '../src/main.js';
import type { Gateway } from '../src/main.js';
import { createDeferred } from './mock-upstream/deferred.js';
import type { Deferred } from './mock-upstream/deferred.js';
import { openaiStream, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { startRedisServer } from './support/redis-server.js';
import type { RedisServer } from './support/redis-server.js';

const MASTER_KEY = 'sk-test-master-key-true-spend';
const CONTENT = ['Once', ' upon', ' a', ' time', ' there', ' was', ' a', ' gateway'];

/** Issue 11, point 7 (and issue 10, item 3's abandoned streams): the log's spend is the budget's spend. */
describe('true spend in the log', () => {
  let redis: RedisServer;
  let raw: Redis;
  let upstream: MockUpstream;
  let gateway: Gateway;
  let baseUrl: string;
  let directory: string;
  let hungArrived: Deferred<void>;

  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url);
    upstream = await startMockUpstream();
    upstream.route('/v1/chat/completions', (request) => {
      const body = request.body;
      const user = typeof body === 'object' && body !== null && 'user' in body ? body.user : null;
      // No usage in any of these: the upstream never got to report it.
      if (user === 'fails') return openaiStream({ content: CONTENT, usage: null, resetAfter: 4 });
      if (user === 'leaves') return openaiStream({ content: CONTENT, usage: null, stallAfter: 4 });
      hungArrived.resolve();
      return { kind: 'hang' };
    });
    directory = mkdtempSync(join(tmpdir(), 'sluice-true-spend-'));
    const resolved = resolveConfig({
      auth: { master_key: MASTER_KEY },
      storage: { database_url: `sqlite://${join(directory, 'sluice.db')}`, redis_url: redis.url },
      logging: { level: 'silent' },
      providers: [{ name: 'up', type: 'openai', api_key: 'sk-up', base_url: `${upstream.url}/v1` }],
      models: [{ name: 'priced', targets: [{ provider: 'up', model: 'gpt-priced' }], pricing: { input_per_mtok: 3000, output_per_mtok: 9000 } }],
      tiers: { paid: { budget_usd: 100, budget_period: 'total' } },
      limits: { store: 'redis', redis_timeout_ms: 1000 },
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    gateway = await createGateway(resolved.config, { cwd: directory, logger: pino({ level: 'silent' }) });
    baseUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    raw?.disconnect();
    await redis?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  function send(key: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    return fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'priced', messages: [{ role: 'user', content: 'Tell me a long story about gateways.' }], max_tokens: 50, ...body }),
      ...(signal === undefined ? {} : { signal }),
    });
  }

  it('failed and abandoned streams and an aborted call are logged with estimated usage and cost, equal to what the budget charged', async () => {
    const created = await fetch(`${baseUrl}/admin/api/keys`, {
      method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'spender', tier: 'paid' }),
    });
    const { key, id } = await created.json() as { key: string; id: string };

    // 1. The upstream resets the stream after some content.
    const failed = await send(key, { stream: true, user: 'fails' });
    expect(failed.status).toBe(200);
    expect(await failed.text()).toMatch(/"error"/);

    // 2. The client reads some content and leaves.
    const leaving = new AbortController();
    const left = await send(key, { stream: true, user: 'leaves' }, leaving.signal);
    const reader = left.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toMatch(/Once/);
    leaving.abort();
    await reader?.cancel().catch(() => {});

    // 3. A call dispatched upstream, then abandoned before any answer.
    hungArrived = createDeferred<void>();
    const aborting = new AbortController();
    const aborted = send(key, { user: 'waits' }, aborting.signal).catch((error: unknown) => error);
    await hungArrived.promise;
    aborting.abort();
    await aborted;

    const ledger = `sluice:limit:{key:${id}:usd:total}`;
    const rowsFor = async () => {
      await gateway.flushRequestLog();
      return (await gateway.database.requestLog.list({ since: 0, until: Date.now() + 1, keyId: id }, { limit: 10 }, {})).data;
    };
    let rows = await rowsFor();
    const deadline = Date.now() + 10_000;
    // Settlements and log rows land off the request path.
    while ((rows.length < 3 || Number(await raw.get(`${ledger}:r`) ?? 0) !== 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      rows = await rowsFor();
    }
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.usageEstimated).toBe(true);
      expect(row.promptTokens).toBeGreaterThan(0);
      expect(row.costUsd).toBeGreaterThan(0);
    }
    const streamed = rows.filter((row) => row.stream);
    expect(streamed).toHaveLength(2);
    for (const row of streamed) expect(row.completionTokens).toBeGreaterThan(0);
    const dispatched = rows.find((row) => !row.stream);
    expect(dispatched).toMatchObject({ errorCode: 'client_closed', completionTokens: 0 });

    const spentNano = Number(await raw.get(`${ledger}:s`) ?? 0);
    const loggedNano = rows.reduce((sum, row) => sum + row.costUsd * 1e9, 0);
    // Budgets round each charge up to a whole nano-dollar.
    expect(Math.abs(spentNano - loggedNano)).toBeLessThanOrEqual(rows.length);
  }, 30_000);
});
