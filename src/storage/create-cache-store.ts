import type { CacheStore } from './cache-store.js';
import { MemoryCacheStore } from './memory/memory-cache-store.js';
import type { Database } from './request-log-store.js';
import { isRedisCluster } from './redis/connect-redis.js';
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
  // The Redis cache store reads an entry and its tenant's counters in one multi-key round trip,
  // which a Redis Cluster refuses across slots. On a cluster, `auto` shares entries through the
  // database instead, and an explicit `redis` is refused rather than failing on every lookup.
  if (isRedisCluster(settings.redisUrl)) {
    if (settings.store === 'auto') return settings.database.cache;
    throw new Error('cache.store: redis does not support a Redis Cluster yet; use cache.store: database (or auto).');
  }
  return RedisCacheStore.open({ url: settings.redisUrl, commandTimeoutMs: settings.redisTimeoutMs });
}
