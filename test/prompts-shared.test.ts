import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';
import { startRedisServer } from './support/redis-server.js';
import type { RedisServer } from './support/redis-server.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

/**
 * Two instances on one Postgres and one Redis. The label cache TTL is a minute, so only the
 * Redis invalidation can bring a label move from one instance to the other within two seconds
 * (the stale-version bug LiteLLM #41735 describes).
 */
let postgres: PostgresServer;
let redis: RedisServer;
let first: TestGateway;
let second: TestGateway;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgresServer(), startRedisServer()]);
  const config = {
    storage: { database_url: await createDatabase(postgres, 'prompts_shared'), redis_url: redis.url },
    logging: { level: 'silent' as const },
    providers: [{ name: 'mock', type: 'mock' as const, models: ['echo'] }],
    prompts_cache_ttl_s: 60,
  };
  first = await startTestGateway(config);
  second = await startTestGateway(config);
}, 60_000);

afterAll(async () => {
  await first?.close();
  await second?.close();
  await redis?.stop();
  postgres?.destroy();
});

async function call(gateway: TestGateway, method: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function servedVersion(gateway: TestGateway): Promise<string | null> {
  const response = await call(gateway, 'POST', '/v1/chat/completions', { prompt_id: 'greet', prompt_variables: { name: 'Ann' } });
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return response.headers.get('x-sluice-prompt-version');
}

describe('prompts across instances', () => {
  it('a label moved through one instance is served by the other within 2 s', async () => {
    expect((await call(first, 'POST', '/admin/api/prompts', {
      name: 'greet', template: 'Say hello to {{name}}', model_config: { model: 'mock/echo' }, labels: ['production'],
    })).status).toBe(201);
    expect((await call(first, 'POST', '/admin/api/prompts/greet/versions', { template: 'Say goodbye to {{name}}', model_config: { model: 'mock/echo' } })).status).toBe(201);
    // The second instance caches production → 1 for the next minute unless it hears of a change.
    expect(await servedVersion(second)).toBe('1');
    expect(await servedVersion(second)).toBe('1');

    const moved = await call(first, 'PUT', '/admin/api/prompts/greet/labels/production', { version: 2, reason: 'ship' });
    expect(moved.status).toBe(200);
    const movedAt = Date.now();
    let seenAfter: number | null = null;
    while (Date.now() - movedAt < 2000) {
      if (await servedVersion(second) === '2') {
        seenAfter = Date.now() - movedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seenAfter).not.toBeNull();
    expect(seenAfter ?? Number.POSITIVE_INFINITY).toBeLessThan(2000);

    const ready = await fetch(`${second.url}/health/ready`);
    expect(await ready.json()).toMatchObject({ checks: { prompts: { status: 'ok', feed: 'ok' } } });
  });
});
