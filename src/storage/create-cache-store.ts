import type { CacheStore } from './cache-store.js';
import { MemoryCacheStore } from './memory/memory-cache-store.js';
import type { Database } from './request-log-store.js';
import { RedisCacheStore } from './redis/redis-cache-store.js';

export interface CacheStoreSettings {
  /** `auto` = Redis when a Redis URL is set, else memory; `database` = the configured SQLite or Postgres. */
  store: 'auto' | 'memory' | 'redis' | 'database';
  redisUrl: string;
  redisTimeoutMs: number;
  memoryMaxBytes: number;
  database: Database;
}

/** Where the response cache keeps its entries (ioredis is loaded only when it is Redis). */
export async function createCacheStore(settings: CacheStoreSettings): Promise<CacheStore> {
  if (settings.store === 'database') return settings.database.cache;
  if (settings.store === 'memory' || (settings.store === 'auto' && settings.redisUrl === '')) {
    return new MemoryCacheStore({ maxBytes: settings.memoryMaxBytes });
  }
  return RedisCacheStore.open({ url: settings.redisUrl, commandTimeoutMs: settings.redisTimeoutMs });
}
