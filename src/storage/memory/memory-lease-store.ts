import type { LeaseStore } from '../lease-store.js';

/** Leases in this process's memory: right for one instance, and for tests. */
export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, { owner: string; until: number }>();

  async acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const lease = this.leases.get(name);
    if (lease !== undefined && lease.owner !== owner && lease.until > now) return false;
    this.leases.set(name, { owner, until: now + ttlMs });
    return true;
  }

  async release(name: string, owner: string): Promise<void> {
    if (this.leases.get(name)?.owner === owner) this.leases.delete(name);
  }
}
