import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResponseStore, StoredResponse } from './response-store.js';

/** The behaviour every ResponseStore must show; run by memory, SQLite and Postgres. */
export function describeResponseStoreContract(name: string, open: () => Promise<{ store: ResponseStore; cleanup: () => Promise<void> }>): void {
  describe(`ResponseStore contract: ${name}`, () => {
    let store: ResponseStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup();
    });

    const record = (id: string, owner: string, overrides: Partial<StoredResponse> = {}): StoredResponse => ({
      id,
      owner,
      createdAt: 1_700_000_000_000,
      expiresAt: 1_800_000_000_000,
      response: { id, object: 'response', output: [{ type: 'message', content: [{ type: 'output_text', text: 'héllo ✓' }] }], usage: { total_tokens: 3 } },
      inputItems: [{ type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
      ...overrides,
    });

    it('stores a response and gives it back intact to its owner only', async () => {
      const stored = record('resp_a', 'tenant:acme');
      await store.put(stored);
      expect(await store.get('resp_a', 'tenant:acme', 1_700_000_000_001)).toEqual(stored);
      expect(await store.get('resp_a', 'tenant:globex', 1_700_000_000_001)).toBeNull();
      expect(await store.get('resp_nope', 'tenant:acme', 1_700_000_000_001)).toBeNull();
      await expect(store.put(stored)).rejects.toThrow();
    });

    it('keeps a response without an expiry until it is deleted', async () => {
      await store.put(record('resp_b', 'key:k1', { expiresAt: null }));
      expect((await store.get('resp_b', 'key:k1', Number.MAX_SAFE_INTEGER))?.expiresAt).toBeNull();
      expect(await store.delete('resp_b', 'key:k2')).toBe(false);
      expect(await store.delete('resp_b', 'key:k1')).toBe(true);
      expect(await store.delete('resp_b', 'key:k1')).toBe(false);
      expect(await store.get('resp_b', 'key:k1', 0)).toBeNull();
    });

    it('hides an expired response and sweeps it away', async () => {
      await store.put(record('resp_c', 'master', { expiresAt: 2_000 }));
      await store.put(record('resp_d', 'master', { expiresAt: 5_000 }));
      expect(await store.get('resp_c', 'master', 1_999)).not.toBeNull();
      expect(await store.get('resp_c', 'master', 2_000)).toBeNull();
      expect(await store.deleteExpired(3_000)).toBe(1);
      expect(await store.get('resp_d', 'master', 3_000)).not.toBeNull();
    });
  });
}
