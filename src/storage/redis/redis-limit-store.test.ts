import { describe, expect, it } from 'vitest';
import { redisServersForSuite } from '../../../test/support/redis-cluster.js';
import { GatewayError } from '../../core/index.js';
import type { LimitCheck } from '../limit-store.js';
import { describeLimitStoreContract } from '../limit-store.contract.js';
import { RedisLimitStore } from './redis-limit-store.js';

const redis = redisServersForSuite();

async function open(options: Partial<ConstructorParameters<typeof RedisLimitStore>[0]> = {}): Promise<RedisLimitStore> {
  const store = new RedisLimitStore({
    url: redis.server().url, commandTimeoutMs: 200, failureMode: 'fail_open', onFailOpen: () => {}, ...options,
  });
  await store.ready();
  return store;
}

describeLimitStoreContract('redis', () => open());
describeLimitStoreContract('redis cluster of three masters', () => open({ url: redis.cluster().url }));

describe('RedisLimitStore when Redis fails', () => {
  const check: LimitCheck = { kind: 'window', key: 'hung', limit: 1, cost: 1, span: 60_000 };

  it('a hung Redis costs at most the command timeout, then fail_open decides locally and reports it', async () => {
    const decisions: string[] = [];
    // Its own prefix: the fallback splits a limit across the live instances sharing it.
    const store = await open({ commandTimeoutMs: 100, prefix: `hung-${Math.random()}:`, onFailOpen: (operation) => decisions.push(operation) });
    // The local fallback starts from what this instance last read of the counter.
    const primed: LimitCheck = { ...check, key: `hung-${Math.random()}`, limit: 2 };
    expect((await store.admit('primer', [primed], 999, 1000)).admitted).toBe(true);
    redis.server().pause();
    try {
      const started = Date.now();
      const first = await store.admit('a', [primed], 1000, 1000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(first.admitted).toBe(true);
      // Local limits still hold while Redis is away.
      expect((await store.admit('b', [primed], 1001, 1000)).admitted).toBe(false);
      expect(decisions).toEqual(['admit', 'admit']);
    } finally {
      redis.server().resume();
      await store.close();
    }
  });

  it('fail_closed refuses with 503 service_unavailable', async () => {
    const store = await open({ commandTimeoutMs: 100, failureMode: 'fail_closed' });
    redis.server().pause();
    try {
      const error: unknown = await store.admit('a', [check], 1000, 1000).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ code: 'service_unavailable', status: 503 });
    } finally {
      redis.server().resume();
      await store.close();
    }
  });
});
