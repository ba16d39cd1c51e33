import { describe, expect, it } from 'vitest';
import type { LeaseStore } from './lease-store.js';

/** The behaviour every LeaseStore must show; run by the memory, SQL and Redis implementations. */
export function describeLeaseStoreContract(name: string, open: () => Promise<LeaseStore & { close?: () => Promise<void> }>): void {
  let counter = 0;
  const unique = () => `lease-${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}`;
  const t0 = 1_700_000_000_000;

  describe(`LeaseStore contract: ${name}`, () => {
    it('one owner at a time: the holder renews, the other is refused until the lease runs out', async () => {
      const store = await open();
      const lease = unique();
      expect(await store.acquire(lease, 'a', 10_000, t0)).toBe(true);
      expect(await store.acquire(lease, 'b', 10_000, t0 + 1)).toBe(false);
      expect(await store.acquire(lease, 'a', 10_000, t0 + 5000)).toBe(true);
      // Renewed at t0 + 5 s, so still a's at t0 + 14.999 s.
      expect(await store.acquire(lease, 'b', 10_000, t0 + 14_999)).toBe(false);
      expect(await store.acquire(lease, 'b', 10_000, t0 + 15_000)).toBe(true);
      expect(await store.acquire(lease, 'a', 10_000, t0 + 15_001)).toBe(false);
      await store.close?.();
    });

    it('release hands the lease over at once, and only its holder can release it', async () => {
      const store = await open();
      const lease = unique();
      expect(await store.acquire(lease, 'a', 10_000, t0)).toBe(true);
      await store.release(lease, 'b');
      expect(await store.acquire(lease, 'b', 10_000, t0 + 1)).toBe(false);
      await store.release(lease, 'a');
      expect(await store.acquire(lease, 'b', 10_000, t0 + 2)).toBe(true);
      await store.close?.();
    });

    it('many contenders at once: exactly one wins', async () => {
      const store = await open();
      const lease = unique();
      const results = await Promise.all(Array.from({ length: 10 }, (_item, index) => store.acquire(lease, `owner-${index}`, 10_000, t0)));
      expect(results.filter(Boolean)).toHaveLength(1);
      await store.close?.();
    });

    it('leases of different names are independent', async () => {
      const store = await open();
      expect(await store.acquire(unique(), 'a', 10_000, t0)).toBe(true);
      expect(await store.acquire(unique(), 'b', 10_000, t0)).toBe(true);
      await store.close?.();
    });
  });
}
