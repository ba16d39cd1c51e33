import type { AdminSessionStore } from './admin-session-store.js';
import { RedisAdminSessionStore } from './redis/redis-admin-session-store.js';

export interface AdminSessionStoreSettings {
  /** One Redis or comma-separated cluster nodes; empty when Redis is not configured. */
  redisUrl: string;
  redisTimeoutMs: number;
  idleMs: number;
  /** The database's session table, used without Redis. */
  database: AdminSessionStore;
}

/** Sessions through Redis when the fleet has one, else through the shared database: every instance sees them. */
export function createAdminSessionStore(settings: AdminSessionStoreSettings): AdminSessionStore & { close(): Promise<void> } {
  if (settings.redisUrl === '') {
    const { database } = settings;
    // The database belongs to the gateway, which closes it.
    return {
      create: (record) => database.create(record),
      use: (idHash, now, idleMs) => database.use(idHash, now, idleMs),
      delete: (idHash) => database.delete(idHash),
      sweep: (now, idleMs) => database.sweep(now, idleMs),
      close: async () => {},
    };
  }
  return new RedisAdminSessionStore({ url: settings.redisUrl, commandTimeoutMs: settings.redisTimeoutMs, idleMs: settings.idleMs });
}
