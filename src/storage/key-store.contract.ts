import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyStore, VirtualKeyRecord } from './key-store.js';

/** The behaviour every KeyStore must show; run by memory, SQLite and Postgres. */
export function describeKeyStoreContract(name: string, open: () => Promise<{ store: KeyStore; cleanup: () => Promise<void> }>): void {
  describe(`KeyStore contract: ${name}`, () => {
    let store: KeyStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup();
    });

    const record = (id: string, tenantId: string | null, overrides: Partial<VirtualKeyRecord> = {}): VirtualKeyRecord => ({
      id, hash: `hash-${id}`, lastFour: 'abcd', name: `key ${id}`, tenantId, userId: 'alice', role: 'client', tier: 'pro',
      allowedModels: ['smart'], allowedServices: null, limits: { rpm: 60, budgetUsd: 2.5, budgetPeriod: 'month' },
      metadata: { team: 'search' }, enabled: true, expiresAt: 1_900_000_000_000, createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000, lastUsedAt: null, revokedAt: null, ...overrides,
    });

    it('stores a key and finds it by id and by hash, every field intact', async () => {
      const key = record('key_a1', 'acme');
      await store.insert(key);
      expect(await store.get('key_a1')).toEqual(key);
      expect(await store.findByHash('hash-key_a1')).toEqual(key);
      expect(await store.get('nope')).toBeNull();
      expect(await store.findByHash('nope')).toBeNull();
      await expect(store.insert(key)).rejects.toThrow();
    });

    it('lists by id in pages, optionally one tenant only', async () => {
      await store.insert(record('key_b1', 'globex'));
      await store.insert(record('key_b2', 'acme', { allowedModels: null, tenantId: 'acme' }));
      await store.insert(record('key_b3', null));
      const first = await store.list({ limit: 2 });
      expect(first.records.map((item) => item.id)).toEqual(['key_a1', 'key_b1']);
      const second = await store.list({ limit: 2, cursor: first.nextCursor ?? undefined });
      expect(second.records.map((item) => item.id)).toEqual(['key_b2', 'key_b3']);
      expect(second.nextCursor).toBeNull();
      const acme = await store.list({ limit: 10, tenantId: 'acme' });
      expect(acme.records.map((item) => item.id)).toEqual(['key_a1', 'key_b2']);
      expect(acme.records[1]?.allowedModels).toBeNull();
    });

    it('updates, revokes and records the last use', async () => {
      const updated = await store.update('key_b1', { name: 'renamed', enabled: false, limits: { tpm: 1000 }, updatedAt: 1_800_000_000_000 });
      expect(updated).toMatchObject({ name: 'renamed', enabled: false, limits: { tpm: 1000 }, tenantId: 'globex', hash: 'hash-key_b1' });
      expect(await store.get('key_b1')).toEqual(updated);
      await store.update('key_b1', { revokedAt: 1_800_000_000_001, updatedAt: 1_800_000_000_001 });
      expect((await store.get('key_b1'))?.revokedAt).toBe(1_800_000_000_001);
      await store.touch('key_b1', 1_800_000_000_002);
      expect((await store.get('key_b1'))?.lastUsedAt).toBe(1_800_000_000_002);
      expect(await store.update('nope', { updatedAt: 1 })).toBeNull();
    });
  });
}
