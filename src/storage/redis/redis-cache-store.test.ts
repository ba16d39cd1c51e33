import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../../test/support/redis-server.js';
import type { RedisServer } from '../../../test/support/redis-server.js';
import { describeCacheStoreContract } from '../cache-store.contract.js';
import type { CacheEntry } from '../cache-store.js';
import { RedisCacheStore } from './redis-cache-store.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

let prefixes = 0;
const open = (prefix: string) => RedisCacheStore.open({ url: server.url, commandTimeoutMs: 500, prefix });

describeCacheStoreContract('redis', async () => {
  const store = await open(`contract${++prefixes}:`);
  return { store, cleanup: () => store.close() };
});

describe('RedisCacheStore across instances', () => {
  it('an invalidation on one instance hides the entry on another at once', async () => {
    const prefix = `shared${++prefixes}:`;
    const [first, second] = await Promise.all([open(prefix), open(prefix)]);
    const now = Date.now();
    const entry: CacheEntry = {
      keyHash: 'k1', tenantId: 'acme', namespace: 'docs/api', model: 'smart', kind: 'chat', generation: 0, scopeHash: null,
      embedding: null, value: '{}', originRequestId: 'r1', costUsd: 0.01, createdAt: now, expiresAt: now + 60_000, sizeBytes: 2,
      hitCount: 0, lastHitAt: null,
    };
    const address = { keyHash: 'k1', tenantId: 'acme', namespace: 'docs/api', model: 'smart' };
    await first.put(entry, now);
    expect((await second.lookup(address, now)).entry).not.toBeNull();
    await first.invalidate({ tenantId: 'acme', namespacePrefix: 'docs', model: null });
    expect((await second.lookup(address, now)).entry).toBeNull();
    await Promise.all([first.close(), second.close()]);
  });

  it('a stopped Redis makes lookups fail within the command timeout (the cache turns that into a miss)', async () => {
    const store = await open(`hung${++prefixes}:`);
    server.pause();
    try {
      const started = Date.now();
      await expect(store.lookup({ keyHash: 'k', tenantId: '', namespace: '', model: 'm' }, started)).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      server.resume();
      await store.close();
    }
  });
});
