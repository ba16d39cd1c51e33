import { describe, expect, it } from 'vitest';
import type { LimitCheck, LimitStore } from './limit-store.js';

/** The behaviour every LimitStore must show; run by the memory and the Redis implementation. */
export function describeLimitStoreContract(name: string, open: () => Promise<LimitStore>): void {
  let counter = 0;
  const unique = (label: string) => `${label}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}`;

  describe(`LimitStore contract: ${name}`, () => {
    it('a sliding window admits exactly the limit, then frees slots as buckets age out', async () => {
      const store = await open();
      const check: LimitCheck = { kind: 'window', key: unique('rpm'), limit: 3, cost: 1, span: 60_000 };
      const t0 = 1_000_000;
      for (let index = 0; index < 3; index++) {
        const result = await store.admit(`r${index}`, [check], t0 + index * 10_000, 1000);
        expect(result.admitted).toBe(true);
        expect(result.states[0]).toEqual({ used: index + 1, resetMs: 61_000 - index * 10_000 });
      }
      // The first request's 1-second bucket [t0, t0 + 1 s) counts until t0 + 61 s.
      const refused = await store.admit('r3', [check], t0 + 30_000, 1000);
      expect(refused).toMatchObject({ admitted: false, index: 0, retryAfterMs: 31_000, states: [{ used: 3 }] });
      expect((await store.admit('r4', [check], t0 + 60_999, 1000)).admitted).toBe(false);
      // Not a fixed window: at t0 + 61 s only the first request has left.
      expect((await store.admit('r5', [check], t0 + 61_000, 1000)).admitted).toBe(true);
      expect((await store.admit('r6', [check], t0 + 61_001, 1000)).admitted).toBe(false);
      await store.close();
    });

    it('never admits more than the limit in any window, whatever the timing', async () => {
      const store = await open();
      const check: LimitCheck = { kind: 'window', key: unique('any'), limit: 5, cost: 1, span: 10_000 };
      const admitted: number[] = [];
      for (let at = 0; at < 40_000; at += 137) {
        if ((await store.admit(`r${at}`, [check], 5_000_000 + at, 1000)).admitted) admitted.push(at);
      }
      for (const start of admitted) {
        expect(admitted.filter((at) => at >= start && at < start + 10_000).length).toBeLessThanOrEqual(5);
      }
      expect(admitted.length).toBeGreaterThanOrEqual(15);
      await store.close();
    });

    it('token windows settle to the actual cost', async () => {
      const store = await open();
      const check: LimitCheck = { kind: 'window', key: unique('tpm'), limit: 100, cost: 80, span: 60_000 };
      expect((await store.admit('a', [check], 1000, 1000)).admitted).toBe(true);
      expect((await store.admit('b', [{ ...check, cost: 30 }], 1001, 1000)).admitted).toBe(false);
      await store.settle('a', [{ check, actual: 20 }], 1002, 1000);
      const after = await store.admit('b', [{ ...check, cost: 30 }], 1003, 1000);
      expect(after).toMatchObject({ admitted: true, states: [{ used: 50 }] });
      await store.close();
    });

    it('all or nothing: a refused check takes nothing from the others', async () => {
      const store = await open();
      const loose: LimitCheck = { kind: 'window', key: unique('loose'), limit: 10, cost: 1, span: 60_000 };
      const tight: LimitCheck = { kind: 'ledger', key: unique('quota'), limit: 1, cost: 1, span: 0 };
      expect((await store.admit('a', [loose, tight], 1000, 1000)).admitted).toBe(true);
      expect(await store.admit('b', [loose, tight], 1001, 1000)).toMatchObject({ admitted: false, index: 1 });
      const probe = await store.admit('c', [loose], 1002, 1000);
      expect(probe.states[0]?.used).toBe(2);
      await store.close();
    });

    it('concurrency leases end on settle and expire when never settled', async () => {
      const store = await open();
      const check: LimitCheck = { kind: 'concurrency', key: unique('conc'), limit: 2, cost: 1, span: 0 };
      expect((await store.admit('a', [check], 1000, 5000)).admitted).toBe(true);
      expect((await store.admit('b', [check], 1000, 5000)).admitted).toBe(true);
      expect(await store.admit('c', [check], 1001, 5000)).toMatchObject({ admitted: false, retryAfterMs: 4999 });
      await store.settle('a', [{ check, actual: 0 }], 1002, 1000);
      expect((await store.admit('c', [check], 1003, 5000)).admitted).toBe(true);
      // b was never settled (its instance died): its lease ends at 6000.
      expect((await store.admit('d', [check], 6000, 5000)).admitted).toBe(true);
      await store.close();
    });

    it('a ledger reserves, settles to the actual amount and reports spend before and after', async () => {
      const store = await open();
      const check: LimitCheck = { kind: 'ledger', key: unique('usd'), limit: 1000, cost: 600, span: 0 };
      expect((await store.admit('a', [check], 1000, 10_000)).admitted).toBe(true);
      const refused = await store.admit('b', [check], 1001, 10_000);
      expect(refused).toMatchObject({ admitted: false, retryAfterMs: 1000 });
      expect(await store.settle('a', [{ check, actual: 150 }], 1002, 1000)).toEqual([{ before: 0, after: 150 }]);
      expect(await store.admit('b', [check], 1003, 10_000)).toMatchObject({ admitted: true, states: [{ used: 750 }] });
      expect(await store.settle('b', [{ check, actual: 700 }], 1004, 1003)).toEqual([{ before: 150, after: 850 }]);
      const spent = await store.admit('c', [{ ...check, cost: 200 }], 1005, 10_000);
      expect(spent).toMatchObject({ admitted: false, retryAfterMs: null });
      await store.close();
    });

    it('an unsettled reservation expires with its lease', async () => {
      const store = await open();
      const check: LimitCheck = { kind: 'ledger', key: unique('lease'), limit: 100, cost: 100, span: 0 };
      expect((await store.admit('dead', [check], 1000, 2000)).admitted).toBe(true);
      expect((await store.admit('x', [check], 2999, 2000)).admitted).toBe(false);
      expect((await store.admit('x', [check], 3000, 2000)).admitted).toBe(true);
      // A late settlement of the expired reservation still records what was spent.
      expect(await store.settle('dead', [{ check, actual: 10 }], 3001, 1000)).toEqual([{ before: 0, after: 10 }]);
      await store.close();
    });

    it('a calendar ledger refuses until its period ends', async () => {
      const store = await open();
      const now = Date.now();
      const day: LimitCheck = { kind: 'ledger', key: unique('day'), limit: 1, cost: 1, span: now + 3_600_000 };
      expect((await store.admit('a', [day], now, 1000)).admitted).toBe(true);
      await store.settle('a', [{ check: day, actual: 1 }], now + 1, now);
      const refused = await store.admit('b', [day], now + 1000, 1000);
      expect(refused).toMatchObject({ admitted: false, retryAfterMs: 3_599_000, states: [{ used: 1, resetMs: 3_599_000 }] });
      await store.close();
    });

    it('concurrent admissions never pass a limit together', async () => {
      const store = await open();
      const check: LimitCheck = { kind: 'ledger', key: unique('race'), limit: 10, cost: 1, span: 0 };
      const results = await Promise.all(Array.from({ length: 50 }, (_item, index) => store.admit(`r${index}`, [check], 1000, 60_000)));
      expect(results.filter((result) => result.admitted)).toHaveLength(10);
      await store.close();
    });
  });
}
