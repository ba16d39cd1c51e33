import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheEntry, CacheStore } from './cache-store.js';

/** The behaviour every CacheStore must show; run by memory, SQLite, Postgres and Redis. */
export function describeCacheStoreContract(name: string, open: () => Promise<{ store: CacheStore; cleanup: () => Promise<void> }>): void {
  describe(`CacheStore contract: ${name}`, () => {
    let store: CacheStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup();
    });

    const t0 = 1_700_000_000_000;
    let counter = 0;
    const entry = (overrides: Partial<CacheEntry> = {}): CacheEntry => {
      counter += 1;
      return {
        keyHash: `${String(counter).padStart(4, '0')}-${Math.random().toString(36).slice(2, 10)}`,
        tenantId: 'acme', namespace: '', model: 'smart', kind: 'chat', generation: 0, scopeHash: null, embedding: null,
        value: '{"kind":"chat","text":"hello"}', originRequestId: `req_${counter}`, costUsd: 0.0025, createdAt: t0,
        expiresAt: t0 + 60_000, sizeBytes: 30, hitCount: 0, lastHitAt: null, ...overrides,
      };
    };
    const address = (stored: CacheEntry) => ({
      keyHash: stored.keyHash, tenantId: stored.tenantId, namespace: stored.namespace, model: stored.model,
    });

    it('keeps an entry until it expires, every field intact, and only for its own tenant', async () => {
      const stored = entry({ tenantId: 'ttl-tenant', embedding: [0.5, -0.25], scopeHash: 'scope-ttl' });
      await store.put(stored, t0);
      expect(await store.lookup(address(stored), t0 + 1)).toEqual({ entry: stored, generation: 0 });
      expect((await store.lookup({ ...address(stored), tenantId: 'other' }, t0 + 1)).entry).toBeNull();
      expect((await store.lookup(address(stored), t0 + 59_999)).entry).not.toBeNull();
      expect((await store.lookup(address(stored), t0 + 60_000)).entry).toBeNull();
      expect((await store.lookup({ ...address(stored), keyHash: 'absent' }, t0)).entry).toBeNull();
    });

    it('an entry put again replaces the first', async () => {
      const first = entry({ tenantId: 'replace' });
      await store.put(first, t0);
      await store.put({ ...first, value: '{"kind":"chat","text":"second"}', originRequestId: 'req_second' }, t0 + 5);
      const found = await store.lookup(address(first), t0 + 10);
      expect(found.entry).toMatchObject({ value: '{"kind":"chat","text":"second"}', originRequestId: 'req_second' });
    });

    it('counts hits', async () => {
      const stored = entry({ tenantId: 'hits' });
      await store.put(stored, t0);
      await store.touch(stored.keyHash, t0 + 100);
      await store.touch(stored.keyHash, t0 + 200);
      expect((await store.lookup(address(stored), t0 + 300)).entry).toMatchObject({ hitCount: 2, lastHitAt: t0 + 200 });
      await store.touch('absent', t0);
    });

    it('invalidating a namespace prefix hides every entry at or below it at once, and nothing else', async () => {
      const tenantId = 'invalidate';
      const docs = entry({ tenantId, namespace: 'docs' });
      const docsApi = entry({ tenantId, namespace: 'docs/api' });
      const docsets = entry({ tenantId, namespace: 'docsets' });
      const root = entry({ tenantId, namespace: '' });
      const otherTenant = entry({ tenantId: 'invalidate-other', namespace: 'docs' });
      for (const stored of [docs, docsApi, docsets, root, otherTenant]) await store.put(stored, t0);

      expect(await store.invalidate({ tenantId, namespacePrefix: 'docs/', model: null })).toBe(1);
      expect((await store.lookup(address(docs), t0)).entry).toBeNull();
      const below = await store.lookup(address(docsApi), t0);
      expect(below.entry).toBeNull();
      expect(below.generation).toBe(1);
      expect((await store.lookup(address(docsets), t0)).entry).not.toBeNull();
      expect((await store.lookup(address(root), t0)).entry).not.toBeNull();
      expect((await store.lookup(address(otherTenant), t0)).entry).not.toBeNull();

      // A fresh answer written with the new generation is served again.
      await store.put({ ...docsApi, generation: below.generation }, t0);
      expect((await store.lookup(address(docsApi), t0)).entry).not.toBeNull();

      // The whole tenant: every namespace.
      await store.invalidate({ tenantId, namespacePrefix: '', model: null });
      for (const stored of [docsApi, docsets, root]) expect((await store.lookup(address(stored), t0)).entry).toBeNull();
      expect((await store.lookup(address(otherTenant), t0)).entry).not.toBeNull();
    });

    it('invalidating for every tenant (`*`) hides each tenant\'s entries under the prefix', async () => {
      const first = entry({ tenantId: 'everyone-a', namespace: 'kb/x' });
      const second = entry({ tenantId: 'everyone-b', namespace: 'kb' });
      const elsewhere = entry({ tenantId: 'everyone-b', namespace: 'other' });
      for (const stored of [first, second, elsewhere]) await store.put(stored, t0);
      await store.invalidate({ tenantId: '*', namespacePrefix: 'kb', model: null });
      expect((await store.lookup(address(first), t0)).entry).toBeNull();
      expect((await store.lookup(address(second), t0)).entry).toBeNull();
      expect((await store.lookup(address(elsewhere), t0)).entry).not.toBeNull();
    });

    it('invalidating one model leaves the others', async () => {
      const tenantId = 'invalidate-model';
      const smart = entry({ tenantId, namespace: 'faq', model: 'smart' });
      const cheap = entry({ tenantId, namespace: 'faq', model: 'cheap' });
      await store.put(smart, t0);
      await store.put(cheap, t0);
      expect(await store.invalidate({ tenantId, namespacePrefix: 'faq', model: 'smart' })).toBe(1);
      expect(await store.invalidate({ tenantId, namespacePrefix: 'faq', model: 'smart' })).toBe(2);
      expect((await store.lookup(address(smart), t0)).entry).toBeNull();
      expect((await store.lookup(address(cheap), t0)).entry).not.toBeNull();
    });

    it('purges entries physically by tenant, namespace prefix and model, up to a limit', async () => {
      const tenantId = 'purge';
      const stored = [
        entry({ tenantId, namespace: 'a', model: 'smart' }),
        entry({ tenantId, namespace: 'a/b', model: 'smart' }),
        entry({ tenantId, namespace: 'a/b', model: 'cheap' }),
        entry({ tenantId, namespace: 'ab', model: 'smart' }),
      ];
      for (const item of stored) await store.put(item, t0);
      expect(await store.purge({ tenantId, namespacePrefix: 'a', model: 'smart' }, 1)).toBe(1);
      expect(await store.purge({ tenantId, namespacePrefix: 'a', model: 'smart' }, 100)).toBe(1);
      const left = await store.list({ tenantId, limit: 10 }, t0);
      expect(left.entries.map((item) => item.keyHash).sort()).toEqual([stored[2]?.keyHash, stored[3]?.keyHash].sort());
      expect(await store.purge({ tenantId, namespacePrefix: '', model: null }, 100)).toBe(2);
      expect((await store.list({ tenantId, limit: 10 }, t0)).entries).toEqual([]);
    });

    it('lists metadata in pages, filtered by tenant, namespace prefix and model, skipping expired entries', async () => {
      const tenantId = 'list';
      const stored = [
        entry({ tenantId, namespace: 'docs' }),
        entry({ tenantId, namespace: 'docs/api', model: 'cheap' }),
        entry({ tenantId, namespace: 'blog' }),
        entry({ tenantId, namespace: 'docs', expiresAt: t0 + 10 }),
      ];
      for (const item of stored) await store.put(item, t0);
      const now = t0 + 100;
      const first = await store.list({ tenantId, limit: 2 }, now);
      expect(first.entries).toHaveLength(2);
      expect(first.entries[0]).not.toHaveProperty('value');
      expect(first.entries[0]).not.toHaveProperty('embedding');
      expect(first.entries[0]).toMatchObject({ tenantId, model: 'smart', originRequestId: stored[0]?.originRequestId, costUsd: 0.0025 });
      const second = await store.list({ tenantId, limit: 2, cursor: first.nextCursor ?? undefined }, now);
      expect(second.entries).toHaveLength(1);
      expect(second.nextCursor).toBeNull();
      expect([...first.entries, ...second.entries].map((item) => item.keyHash)).toEqual(stored.slice(0, 3).map((item) => item.keyHash));
      const docs = await store.list({ tenantId, namespacePrefix: 'docs', limit: 10 }, now);
      expect(docs.entries.map((item) => item.namespace)).toEqual(['docs', 'docs/api']);
      const cheap = await store.list({ tenantId, model: 'cheap', limit: 10 }, now);
      expect(cheap.entries.map((item) => item.keyHash)).toEqual([stored[1]?.keyHash]);
      const everyone = await store.list({ limit: 1000 }, now);
      expect(everyone.entries.some((item) => item.tenantId === 'hits') && everyone.entries.some((item) => item.tenantId === tenantId)).toBe(true);
    });

    it('deletes one entry, and a tenant-scoped delete only within its tenant', async () => {
      const stored = entry({ tenantId: 'delete' });
      await store.put(stored, t0);
      expect(await store.delete(stored.keyHash, 'someone-else')).toBe(false);
      expect((await store.lookup(address(stored), t0)).entry).not.toBeNull();
      expect(await store.delete(stored.keyHash, 'delete')).toBe(true);
      expect((await store.lookup(address(stored), t0)).entry).toBeNull();
      expect(await store.delete(stored.keyHash, undefined)).toBe(false);
    });

    it('finds a semantic partition\'s live entries, newest first, never another tenant\'s', async () => {
      const partition = { tenantId: 'semantic', namespace: '', model: 'smart', scopeHash: 'scope-1' };
      const older = entry({ ...partition, embedding: [1, 0], createdAt: t0 });
      const newer = entry({ ...partition, embedding: [0, 1], createdAt: t0 + 5 });
      const expired = entry({ ...partition, embedding: [1, 1], expiresAt: t0 + 10 });
      const otherScope = entry({ ...partition, scopeHash: 'scope-2', embedding: [1, 0] });
      const otherTenant = entry({ ...partition, tenantId: 'semantic-other', embedding: [1, 0] });
      for (const item of [older, newer, expired, otherScope, otherTenant]) await store.put(item, t0);
      const found = await store.semanticCandidates(partition, t0 + 20, 10);
      expect(found.map((item) => item.keyHash)).toEqual([newer.keyHash, older.keyHash]);
      expect(found[0]?.embedding).toEqual([0, 1]);
      expect(await store.semanticCandidates(partition, t0 + 20, 1)).toHaveLength(1);
      await store.invalidate({ tenantId: 'semantic', namespacePrefix: '', model: 'smart' });
      expect(await store.semanticCandidates(partition, t0 + 20, 10)).toEqual([]);
    });

    it('counts entries and bytes, per tenant or in all', async () => {
      const tenantId = 'stats';
      await store.put(entry({ tenantId, sizeBytes: 100 }), t0);
      await store.put(entry({ tenantId, sizeBytes: 50 }), t0);
      await store.put(entry({ tenantId, sizeBytes: 70, expiresAt: t0 + 1 }), t0);
      expect(await store.stats(tenantId, t0 + 2)).toEqual({ entries: 2, bytes: 150 });
      const all = await store.stats(undefined, t0 + 2);
      expect(all.entries).toBeGreaterThan(2);
    });
  });
}
