import { describe, expect, it } from 'vitest';
import { describeCacheStoreContract } from '../cache-store.contract.js';
import type { CacheEntry } from '../cache-store.js';
import { MemoryCacheStore } from './memory-cache-store.js';

describeCacheStoreContract('memory', async () => {
  const store = new MemoryCacheStore({ maxBytes: 64 * 1024 * 1024 });
  return { store, cleanup: () => store.close() };
});

describe('MemoryCacheStore byte budget', () => {
  const entry = (keyHash: string, sizeBytes: number, scopeHash: string | null = null): CacheEntry => ({
    keyHash, tenantId: 't', namespace: '', model: 'm', kind: 'chat', generation: 0, scopeHash, embedding: scopeHash === null ? null : [1],
    value: 'x'.repeat(sizeBytes), originRequestId: 'r', costUsd: 0, createdAt: 0, expiresAt: 1_000_000, sizeBytes, hitCount: 0, lastHitAt: null,
  });
  const address = (keyHash: string) => ({ keyHash, tenantId: 't', namespace: '', model: 'm' });

  it('evicts the least recently used entries once the budget is passed', async () => {
    const store = new MemoryCacheStore({ maxBytes: 3 * (1000 + 256) });
    await store.put(entry('a', 1000), 0);
    await store.put(entry('b', 1000), 0);
    await store.put(entry('c', 1000), 0);
    // Reading `a` makes `b` the least recently used.
    expect((await store.lookup(address('a'), 1)).entry).not.toBeNull();
    await store.put(entry('d', 1000), 0);
    expect((await store.lookup(address('b'), 1)).entry).toBeNull();
    for (const key of ['a', 'c', 'd']) expect((await store.lookup(address(key), 1)).entry).not.toBeNull();
    expect(await store.stats(undefined, 1)).toEqual({ entries: 3, bytes: 3000 });
  });

  it('never keeps an entry larger than the whole budget, and evicted entries leave their semantic partition', async () => {
    const store = new MemoryCacheStore({ maxBytes: 2000 });
    await store.put(entry('huge', 5000), 0);
    expect((await store.lookup(address('huge'), 1)).entry).toBeNull();
    await store.put(entry('s1', 1000, 'scope'), 0);
    await store.put(entry('s2', 1000, 'scope'), 0);
    const partition = { tenantId: 't', namespace: '', model: 'm', scopeHash: 'scope' };
    expect((await store.semanticCandidates(partition, 1, 10)).map((item) => item.keyHash)).toEqual(['s2']);
  });
});
