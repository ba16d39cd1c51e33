import type { LeaseStore } from './lease-store.js';
import { RedisLeaseStore } from './redis/redis-lease-store.js';

export interface LeaseStoreSettings {
  /** One Redis or comma-separated cluster nodes; empty when Redis is not configured. */
  redisUrl: string;
  redisTimeoutMs: number;
  /** The database's lease table, used without Redis. */
  database: LeaseStore;
}

/** Leases through Redis when the fleet has one, else through the shared database. */
export function createLeaseStore(settings: LeaseStoreSettings): LeaseStore & { close(): Promise<void> } {
  if (settings.redisUrl === '') {
    const { database } = settings;
    // The database belongs to the gateway, which closes it.
    return {
      acquire: (name, owner, ttlMs, now) => database.acquire(name, owner, ttlMs, now),
      release: (name, owner) => database.release(name, owner),
      close: async () => {},
    };
  }
  return new RedisLeaseStore({ url: settings.redisUrl, commandTimeoutMs: settings.redisTimeoutMs });
}
