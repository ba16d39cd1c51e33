import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/index.js';
import type { GatewayEvent, RequestSummary } from '../src/core/index.js';
import { openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { startRedisServer } from './support/redis-server.js';
import { startRedisCluster } from './support/redis-cluster.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';
import { freePort } from './support/free-port.js';

/**
 * The proofs of issue 6, point 9: three gateway instances share a real redis-server.
 * Callers authenticate with JWTs (every instance verifies the same secret), so each instance
 * sees the same subject, tier and tenant.
 */
const JWT_SECRET = 'shared-secret-for-three-instances-0123456789';
const INPUT_PER_MTOK = 1000;
const OUTPUT_PER_MTOK = 2000;
const RESERVATION_TTL_MS = 1500;

/** A standalone redis-server or a cluster (whose url names every node). */
interface SharedRedis {
  url: string;
  stop(): Promise<void>;
}

let redis: SharedRedis;
let upstream: MockUpstream;
const gateways: TestGateway[] = [];
const summaries: RequestSummary[] = [];

function config(): ConfigInput {
  return {
    auth: {
      master_key: TEST_MASTER_KEY,
      jwt: { secret: JWT_SECRET, issuer: 'https://issuer.test', audience: 'sluice', claims: { tenant: 'org', user: 'sub', tier: 'plan' }, default_tier: 'open' },
    },
    storage: { redis_url: redis.url },
    providers: [{ name: 'upstream', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream' }],
    models: [{ name: 'priced', targets: [{ provider: 'upstream', model: 'gpt-priced' }], pricing: { input_per_mtok: INPUT_PER_MTOK, output_per_mtok: OUTPUT_PER_MTOK } }],
    tiers: { burst: { rpm: 20 }, open: {} },
    limits: {
      store: 'redis',
      // Generous, so a busy CI machine never turns these proofs into fail_open decisions.
      redis_timeout_ms: 1000,
      reservation_ttl_ms: RESERVATION_TTL_MS,
      tenants: {
        spender: { budget_usd: 0.15, budget_period: 'total' },
        fragile: { budget_usd: 0.04, budget_period: 'total', max_concurrent: 1 },
      },
    },
  };
}

async function token(claims: Record<string, string>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test').setAudience('sluice')
    .setSubject(claims.sub ?? 'user').setExpirationTime('10m').sign(new TextEncoder().encode(JWT_SECRET));
}

async function chat(url: string, bearer: string, body: Record<string, unknown> = {}): Promise<{ status: number; code: string | null; headers: Headers }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'priced', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 10, ...body }),
  });
  const json: unknown = await response.json();
  const code = isRecord(json) && isRecord(json.error) && typeof json.error.code === 'string' ? json.error.code : null;
  return { status: response.status, code, headers: response.headers };
}

function pricedSpendUsd(tenant: string): number {
  return summaries
    .filter((summary) => summary.tenantId === tenant && summary.usage !== null)
    .reduce((sum, summary) => sum + ((summary.usage?.promptTokens ?? 0) * INPUT_PER_MTOK + (summary.usage?.completionTokens ?? 0) * OUTPUT_PER_MTOK) / 1e6, 0);
}

beforeAll(async () => {
  upstream = await startMockUpstream({ recordRequests: true });
  // The upstream bills the full max_tokens as output (the worst case) and 5 input tokens.
  upstream.route('/v1/chat/completions', async (request) => {
    const body = request.body;
    const maxTokens = isRecord(body) && typeof body.max_tokens === 'number' ? body.max_tokens : 16;
    if (isRecord(body) && body.user === 'hang') return { kind: 'hang' };
    return { ...openaiCompletion({ usage: { prompt_tokens: 5, completion_tokens: maxTokens } }), delayMs: 15 };
  });
});

afterAll(async () => {
  await upstream?.close();
});

// The cluster runs the two counting proofs; the killed-instance proof (a child process started
// from the sources, slow on a busy machine) runs on the standalone server only, as before.
describe.each([
  { backend: 'one redis-server', start: (): Promise<SharedRedis> => startRedisServer(), killable: true },
  { backend: 'a Redis Cluster of three masters', start: (): Promise<SharedRedis> => startRedisCluster(3), killable: false },
])('three instances sharing $backend', ({ start, killable }) => {
  beforeAll(async () => {
    redis = await start();
    gateways.length = 0;
    summaries.length = 0;
    for (let index = 0; index < 3; index++) {
      const gateway = await startTestGateway(config());
      gateway.gateway.events.subscribe((event: GatewayEvent) => {
        if (event.type === 'request-end') summaries.push(event.summary);
      });
      gateways.push(gateway);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await redis?.stop();
  });

  it('admit not one request over an rpm limit across a burst', async () => {
    const bearer = await token({ sub: 'burst-user', plan: 'burst', org: 'bursty' });
    const before = upstream.requests.length;
    const results = await Promise.all(Array.from({ length: 90 }, (_item, index) => chat(gateways[index % 3]?.url ?? '', bearer)));
    const admitted = results.filter((result) => result.status === 200);
    const refused = results.filter((result) => result.status === 429);
    expect(gateways.map((gateway) => gateway.gateway.limitStoreFailOpenCount())).toEqual([0, 0, 0]);
    expect(admitted).toHaveLength(20);
    expect(refused).toHaveLength(70);
    expect(refused.every((result) => result.code === 'rate_limit_exceeded' && Number(result.headers.get('retry-after-ms')) > 0)).toBe(true);
    expect(upstream.requests.length - before).toBe(20);
    // Every instance admitted some: the limit is shared, not per instance.
    const remaining = admitted.map((result) => Number(result.headers.get('x-ratelimit-remaining-requests'))).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 20 }, (_item, index) => index));
  });

  it('100 concurrent requests on a nearly spent budget end with priced spend at or under the budget', async () => {
    const bearer = await token({ sub: 'spender-user', org: 'spender' });
    // Each call reserves $0.030 (10 estimated input + 10 output tokens) and costs $0.025.
    for (let index = 0; index < 2; index++) expect((await chat(gateways[index]?.url ?? '', bearer)).status).toBe(200);
    expect(pricedSpendUsd('spender')).toBeCloseTo(0.05, 10);

    const results = await Promise.all(Array.from({ length: 100 }, (_item, index) => chat(gateways[index % 3]?.url ?? '', bearer)));
    const admitted = results.filter((result) => result.status === 200).length;
    const refused = results.filter((result) => result.status === 429);
    expect(admitted).toBeGreaterThanOrEqual(1);
    expect(admitted + refused.length).toBe(100);
    expect(refused.every((result) => result.code === 'budget_exceeded')).toBe(true);
    expect(gateways.map((gateway) => gateway.gateway.limitStoreFailOpenCount())).toEqual([0, 0, 0]);
    const spent = pricedSpendUsd('spender');
    expect(spent).toBeLessThanOrEqual(0.15 + 1e-12);
    // Nothing is left for one more call.
    expect((await chat(gateways[2]?.url ?? '', bearer)).code).toBe('budget_exceeded');
  });

  it.runIf(killable)('a killed instance\'s reservations and concurrency slots expire', async () => {
    const bearer = await token({ sub: 'fragile-user', org: 'fragile' });
    const child = await startChildGateway();
    try {
      const hung = chat(child.url, bearer, { user: 'hang' }).catch(() => null);
      await waitFor(() => upstream.requests.some((request) => isRecord(request.body) && request.body.user === 'hang'));
      const admittedAt = Date.now();
      // The child holds the only concurrency slot and a $0.03 reservation of the $0.04 budget.
      const blocked = await chat(gateways[0]?.url ?? '', bearer);
      expect(blocked.status).toBe(429);
      child.process.kill('SIGKILL');
      await hung;
      let passed: Awaited<ReturnType<typeof chat>> | null = null;
      while (Date.now() - admittedAt < RESERVATION_TTL_MS + 3000) {
        const attempt = await chat(gateways[1]?.url ?? '', bearer);
        if (attempt.status === 200) {
          passed = attempt;
          break;
        }
        expect(Date.now() - admittedAt).toBeLessThan(RESERVATION_TTL_MS + 500);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(passed?.status).toBe(200);
      expect(Date.now() - admittedAt).toBeGreaterThanOrEqual(RESERVATION_TTL_MS - 100);
    } finally {
      child.process.kill('SIGKILL');
    }
  });
});

interface ChildGateway {
  url: string;
  process: ChildProcess;
}

/** A gateway in its own process (so it can be SIGKILLed), from the TypeScript sources. */
async function startChildGateway(): Promise<ChildGateway> {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-child-'));
  const port = await freePort();
  const file = join(directory, 'sluice.yaml');
  writeFileSync(file, JSON.stringify({
    ...config(),
    server: { host: '127.0.0.1', port },
    storage: { redis_url: redis.url, database_url: `sqlite://${join(directory, 'sluice.db')}` },
    logging: { level: 'warn' },
  }));
  const child = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'src/cli/main.ts'), 'start', '--config', file], {
    cwd: process.cwd(), stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`child gateway exited with ${child.exitCode}`);
    return fetch(`${url}/health`).then((response) => response.ok, () => false);
  }, 20_000);
  return { url, process: child };
}


async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

describe('a hung Redis', () => {
  it('never hangs a request: fail_open answers within the command timeout and counts the decision', async () => {
    const server = await startRedisServer();
    const base = { ...config(), storage: { redis_url: server.url } };
    const open = await startTestGateway({ ...base, limits: { ...base.limits, redis_timeout_ms: 150, redis_failure_mode: 'fail_open' } });
    const closed = await startTestGateway({ ...base, limits: { ...base.limits, redis_timeout_ms: 150, redis_failure_mode: 'fail_closed' } });
    const bearer = await token({ sub: 'hung-user', plan: 'burst', org: 'hung' });
    try {
      expect((await chat(open.url, bearer)).status).toBe(200);
      server.pause();
      const started = Date.now();
      const answered = await chat(open.url, bearer);
      expect(answered.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(open.gateway.limitStoreFailOpenCount()).toBeGreaterThanOrEqual(1);

      const refused = await chat(closed.url, bearer);
      expect(refused).toMatchObject({ status: 503, code: 'service_unavailable' });
      expect(refused.headers.get('retry-after')).toBe('1');
      const ready = await fetch(`${closed.url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { redis: { status: 'unreachable' } } });
      expect((await fetch(`${open.url}/health/ready`)).status).toBe(200);
    } finally {
      server.resume();
      await open.close();
      await closed.close();
      await server.stop();
    }
  });
});
