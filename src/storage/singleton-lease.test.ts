import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { LeaseStore } from './lease-store.js';
import { MemoryLeaseStore } from './memory/memory-lease-store.js';
import { SingletonLease } from './singleton-lease.js';

function fleet(store: LeaseStore, clock: ManualClock, size: number): SingletonLease[] {
  return Array.from({ length: size }, (_item, index) => new SingletonLease({
    store, name: 'retention-sweeper', owner: `instance-${index}`, ttlMs: 10_000, renewMs: 3000, clock,
  }));
}

describe('SingletonLease', () => {
  it('exactly one of three instances holds the lease, and keeps it while it renews', async () => {
    const clock = new ManualClock();
    const leases = fleet(new MemoryLeaseStore(), clock, 3);
    for (const lease of leases) lease.start();
    await clock.advance(0);
    expect(leases.map((lease) => lease.held())).toEqual([true, false, false]);
    await clock.advance(60_000);
    expect(leases.map((lease) => lease.held())).toEqual([true, false, false]);
    await Promise.all(leases.map((lease) => lease.stop()));
  });

  it('a holder that dies is replaced within the lease time plus one renewal', async () => {
    const clock = new ManualClock();
    const store = new MemoryLeaseStore();
    let crashed = false;
    // A crashed holder: its calls never come back, and it never releases.
    const dyingStore: LeaseStore = {
      acquire: (...args) => (crashed ? new Promise<boolean>(() => {}) : store.acquire(...args)),
      release: async () => {},
    };
    const start = clock.now();
    let takenAt: number | null = null;
    const dying = new SingletonLease({ store: dyingStore, name: 'retention-sweeper', owner: 'a', ttlMs: 10_000, renewMs: 3000, clock });
    const survivor = new SingletonLease({
      store, name: 'retention-sweeper', owner: 'b', ttlMs: 10_000, renewMs: 3000, clock,
      onChange: (held) => {
        if (held) takenAt = clock.now() - start;
      },
    });
    dying.start();
    await clock.advance(0);
    survivor.start();
    await clock.advance(4000);
    expect([dying.held(), survivor.held()]).toEqual([true, false]);
    // Last renewal at 3 s; the lease runs until 13 s, and the survivor tries every 3 s.
    crashed = true;
    await clock.advance(20_000);
    expect(survivor.held()).toBe(true);
    expect(dying.held()).toBe(false);
    expect(takenAt).toBeGreaterThanOrEqual(13_000);
    expect(takenAt).toBeLessThanOrEqual(13_000 + 3000);
    await survivor.stop();
  });

  it('a clean stop hands the lease over at the next try, without waiting for it to run out', async () => {
    const clock = new ManualClock();
    const [first, second] = fleet(new MemoryLeaseStore(), clock, 2);
    first?.start();
    second?.start();
    await clock.advance(0);
    await first?.stop();
    expect(first?.held()).toBe(false);
    await clock.advance(3000);
    expect(second?.held()).toBe(true);
    await second?.stop();
  });

  it('a store that fails makes the lease count as lost once its time is up, never as held by two', async () => {
    const clock = new ManualClock();
    let failing = false;
    const memory = new MemoryLeaseStore();
    const flaky: LeaseStore = {
      acquire: async (...args) => {
        if (failing) throw new Error('store down');
        return memory.acquire(...args);
      },
      release: (...args) => memory.release(...args),
    };
    const errors: unknown[] = [];
    const lease = new SingletonLease({ store: flaky, name: 'job-poller', ttlMs: 10_000, renewMs: 3000, clock, onError: (error) => errors.push(error) });
    lease.start();
    await clock.advance(0);
    expect(lease.held()).toBe(true);
    failing = true;
    await clock.advance(9999);
    expect(lease.held()).toBe(true);
    await clock.advance(1);
    expect(lease.held()).toBe(false);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    failing = false;
    await clock.advance(3000);
    expect(lease.held()).toBe(true);
    await lease.stop();
  });
});
