import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../../test/support/redis-server.js';
import type { RedisServer } from '../../../test/support/redis-server.js';
import { startRedisCluster } from '../../../test/support/redis-cluster.js';
import type { RedisClusterServer } from '../../../test/support/redis-cluster.js';
import { GatewayError } from '../../core/index.js';
import type { LimitCheck } from '../limit-store.js';
import { describeLimitStoreContract } from '../limit-store.contract.js';
import { RedisLimitStore } from './redis-limit-store.js';

let server: RedisServer;
let cluster: RedisClusterServer;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
});
afterAll(async () => {
  await Promise.all([server.stop(), cluster.stop()]);
});

async function open(options: Partial<ConstructorParameters<typeof RedisLimitStore>[0]> = {}): Promise<RedisLimitStore> {
  const store = new RedisLimitStore({
    url: server.url, commandTimeoutMs: 200, failureMode: 'fail_open', onFailOpen: () => {}, ...options,
  });
  await store.ready();
  return store;
}

describeLimitStoreContract('redis', () => open());
describeLimitStoreContract('redis cluster of three masters', () => open({ url: cluster.url }));

describe('RedisLimitStore when Redis fails', () => {
  const check: LimitCheck = { kind: 'window', key: 'hung', limit: 1, cost: 1, span: 60_000 };

  it('a hung Redis costs at most the command timeout, then fail_open decides locally and reports it', async () => {
    const decisions: string[] = [];
    const store = await open({ commandTimeoutMs: 100, onFailOpen: (operation) => decisions.push(operation) });
    server.pause();
    try {
      const started = Date.now();
      const first = await store.admit('a', [check], 1000, 1000);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(first.admitted).toBe(true);
      // Local limits still hold while Redis is away.
      expect((await store.admit('b', [check], 1001, 1000)).admitted).toBe(false);
      expect(decisions).toEqual(['admit', 'admit']);
    } finally {
      server.resume();
      await store.close();
    }
  });

  it('fail_closed refuses with 503 service_unavailable', async () => {
    const store = await open({ commandTimeoutMs: 100, failureMode: 'fail_closed' });
    server.pause();
    try {
      const error: unknown = await store.admit('a', [check], 1000, 1000).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toMatchObject({ code: 'service_unavailable', status: 503 });
    } finally {
      server.resume();
      await store.close();
    }
  });
});
