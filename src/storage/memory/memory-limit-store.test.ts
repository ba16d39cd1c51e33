import { describe, expect, it } from 'vitest';
import type { LimitCheck } from '../limit-store.js';
import { describeLimitStoreContract } from '../limit-store.contract.js';
import { MemoryLimitStore } from './memory-limit-store.js';

describeLimitStoreContract('memory', async () => new MemoryLimitStore());

describe('MemoryLimitStore memory', () => {
  const check = (key: string, limit: number, cost = 1): LimitCheck => ({ kind: 'ledger', key, limit, cost, span: 0 });

  it('keeps no counter for a refused request, so refused subjects cannot grow memory', async () => {
    const store = new MemoryLimitStore();
    for (let index = 0; index < 500; index++) {
      const result = await store.admit(`r${index}`, [{ kind: 'window', key: 'key:one:rpm', limit: 0, cost: 1, span: 60_000 }, check(`user:one:${index}`, 10)], 1000, 60_000);
      expect(result.admitted).toBe(false);
    }
    expect(store.counterCount).toBe(0);
  });

  it('sweeps idle ledgers that hold nothing, and keeps those that hold spend', async () => {
    const store = new MemoryLimitStore();
    for (let index = 0; index < 1024; index++) {
      const id = `r${index}`;
      await store.admit(id, [check(`user:${index}`, 1000)], 1000, 60_000);
      // Half of them cost nothing in the end (a failed call), half spent something.
      await store.settle(id, [{ check: check(`user:${index}`, 1000), actual: index % 2 }], 1000, 1000);
    }
    expect(store.counterCount).toBe(512);
  });
});
