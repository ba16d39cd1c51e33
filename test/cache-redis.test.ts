import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { startRedisServer } from './support/redis-server.js';
import type { RedisServer } from './support/redis-server.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

let redis: RedisServer;
let upstream: MockUpstream;
let first: TestGateway;
let second: TestGateway;

beforeAll(async () => {
  redis = await startRedisServer();
  upstream = await startMockUpstream();
  const config = {
    storage: { redis_url: redis.url },
    providers: [{ name: 'upstream', type: 'openai' as const, base_url: `${upstream.url}/v1`, api_key: 'sk-upstream' }],
    models: [{ name: 'smart', targets: [{ provider: 'upstream', model: 'gpt-upstream' }], cache: { enabled: true } }],
  };
  [first, second] = await Promise.all([startTestGateway(config), startTestGateway(config)]);
});

afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
  await upstream?.close();
  await redis?.stop();
});

async function ask(gateway: TestGateway, namespace: string) {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json', 'x-sluice-cache-namespace': namespace },
    body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'Shared question' }] }),
  });
  await response.text();
  return response.headers.get('x-sluice-cache');
}

describe('the cache shared through Redis', () => {
  it('an entry written by one instance is a hit on the other, and an invalidation on one hides it on the other at once', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'one' }), openaiCompletion({ content: 'two' }));
    expect(first.gateway.cacheStore.kind).toBe('redis');
    expect(await ask(first, 'docs/api')).toBe('miss');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await ask(second, 'docs/api')).toBe('hit');
    const invalidated = await fetch(`${second.url}/admin/api/cache/invalidate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ namespace_prefix: 'docs' }),
    });
    expect(invalidated.status).toBe(200);
    expect(await ask(first, 'docs/api')).toBe('miss');
    expect(upstream.requests).toHaveLength(2);
  });
});
