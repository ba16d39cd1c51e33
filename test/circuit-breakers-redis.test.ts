import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/index.js';
import { openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';
import { startRedisServer } from './support/redis-server.js';
import type { RedisServer } from './support/redis-server.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

/**
 * Issue 19's breaker proofs: three gateway instances share one circuit per target through a real
 * redis-server (and one Postgres request log). The gateways run on the system clock, so the
 * cooldown is short and waited for for real.
 */
const CACHE_MS = 250;
const COOLDOWN_MS = 1500;

let redis: RedisServer;
let postgres: PostgresServer;
let upstream: MockUpstream;
let failing = false;
/** While set, upstream replies wait for it (so a probe stays out as long as the test needs). */
let replyGate: Promise<void> | null = null;
const gateways: TestGateway[] = [];

function config(databaseUrl: string, fallback: 'local' | 'open' = 'local'): ConfigInput {
  return {
    storage: {
      database_url: databaseUrl,
      redis_url: redis.url,
      circuit_breakers: { cache_ms: CACHE_MS, fallback, redis_timeout_ms: 100 },
    },
    logging: { level: 'silent' },
    providers: [{ name: 'upstream', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream' }],
    models: [{
      name: 'flaky',
      targets: [{ provider: 'upstream', model: 'gpt-flaky' }],
      retry: { max_attempts: 1 },
      circuit_breaker: { failure_threshold: 3, window_ms: 60_000, cooldown_ms: COOLDOWN_MS, half_open_successes: 1 },
    }],
    limits: { store: 'memory' },
  };
}

beforeAll(async () => {
  [redis, postgres, upstream] = await Promise.all([startRedisServer(), startPostgresServer(), startMockUpstream({ recordRequests: true })]);
  upstream.route('/v1/chat/completions', async () => {
    if (failing) return { kind: 'json', status: 500, body: { error: { message: 'down', type: 'server_error' } } };
    if (replyGate !== null) await replyGate;
    return openaiCompletion();
  });
  const databaseUrl = await createDatabase(postgres, 'breakers');
  for (let index = 0; index < 3; index++) gateways.push(await startTestGateway(config(databaseUrl)));
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close()));
  await upstream?.close();
  await redis?.stop();
  postgres?.destroy();
});

async function chat(gateway: TestGateway | undefined): Promise<{ status: number; code: string | null }> {
  const response = await fetch(`${gateway?.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'flaky', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const json: unknown = await response.json();
  const error = isRecord(json) && isRecord(json.error) ? json.error : null;
  return { status: response.status, code: typeof error?.code === 'string' ? error.code : null };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('three gateways sharing circuit breakers through Redis', () => {
  const [a, b, c] = [() => gateways[0], () => gateways[1], () => gateways[2]];

  it('failures through A open the circuit on B and C within the cache time plus one round trip', async () => {
    // B and C have just read the circuit as closed, so they trust that for the cache time.
    expect((await chat(b())).status).toBe(200);
    expect((await chat(c())).status).toBe(200);
    failing = true;
    for (let index = 0; index < 3; index++) expect((await chat(a())).status).toBeGreaterThanOrEqual(500);
    const openedAt = Date.now();
    for (const gateway of [b(), c()]) {
      let refused: { status: number; code: string | null } | null = null;
      while (refused === null) {
        const answer = await chat(gateway);
        if (answer.code === 'provider_unavailable') refused = answer;
        else expect(Date.now() - openedAt).toBeLessThan(CACHE_MS + 250);
      }
      expect(refused.status).toBe(503);
    }
    expect(Date.now() - openedAt).toBeLessThan(CACHE_MS + 250);
    const upstreamCalls = upstream.requests.length;
    for (const gateway of [a(), b(), c()]) expect(await chat(gateway)).toEqual({ status: 503, code: 'provider_unavailable' });
    expect(upstream.requests.length).toBe(upstreamCalls);
  });

  it('after the cooldown exactly one half-open probe goes upstream fleet-wide, and its success closes the circuit everywhere', async () => {
    failing = false;
    let release = () => {};
    replyGate = new Promise((resolve) => {
      release = resolve;
    });
    await sleep(COOLDOWN_MS + 50);
    const before = upstream.requests.length;
    let finished = 0;
    const pending = [a(), b(), c(), a(), b(), c(), a(), b(), c()].map((gateway) => chat(gateway).finally(() => {
      finished++;
    }));
    // The probe is held upstream until every other call has been answered.
    while (finished < 8 && upstream.requests.length - before <= 1) await sleep(10);
    expect(upstream.requests.length - before).toBe(1);
    release();
    replyGate = null;
    const answers = await Promise.all(pending);
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.code === 'provider_unavailable')).toHaveLength(8);
    expect(upstream.requests.length - before).toBe(1);
    // Closed in Redis; each instance sees it once its cached "open" has run out (it already has).
    for (const gateway of [a(), b(), c()]) expect((await chat(gateway)).status).toBe(200);
  });

  it('a paused Redis gives the configured fallback with no request hanging', async () => {
    const databaseUrl = await createDatabase(postgres, 'breakers_open');
    const refusing = await startTestGateway(config(databaseUrl, 'open'));
    try {
      expect((await chat(refusing)).status).toBe(200);
      redis.pause();
      const started = Date.now();
      // local: each instance's own breaker decides, so calls go through.
      const answers = await Promise.all([a(), b(), c()].map((gateway) => chat(gateway)));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
      // open: the instance refuses rather than run without shared breakers.
      await sleep(CACHE_MS);
      expect(await chat(refusing)).toEqual({ status: 503, code: 'provider_unavailable' });
      expect(Date.now() - started).toBeLessThan(1500);
      // And the local breakers still break: three failures through A open A only.
      failing = true;
      for (let index = 0; index < 3; index++) expect((await chat(a())).status).toBeGreaterThanOrEqual(500);
      expect((await chat(a())).code).toBe('provider_unavailable');
      expect((await chat(b())).status).toBeGreaterThanOrEqual(500);
      expect((await chat(b())).code).not.toBe('provider_unavailable');
    } finally {
      failing = false;
      redis.resume();
      await refusing.close();
    }
  });
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
