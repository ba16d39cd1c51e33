import type { LimitStore } from './limit-store.js';
import { MemoryLimitStore } from './memory/memory-limit-store.js';
import { RedisLimitStore } from './redis/redis-limit-store.js';
import type { RedisFailureMode } from './redis/redis-limit-store.js';

export interface LimitStoreSettings {
  /** `auto` = Redis when a Redis URL is set, else memory. */
  store: 'auto' | 'memory' | 'redis';
  redisUrl: string;
  redisTimeoutMs: number;
  failureMode: RedisFailureMode;
  /** Called on every decision taken locally because Redis failed. */
  onFailOpen: (operation: 'admit' | 'settle', error: unknown) => void;
}

export interface ConfiguredLimitStore {
  store: LimitStore;
  /** Whether the shared store answers; null when counters are local to this process. */
  ping: (() => Promise<boolean>) | null;
}

/** Counters in this process, or shared by every instance through Redis. */
export function createLimitStore(settings: LimitStoreSettings): ConfiguredLimitStore {
  if (settings.store === 'memory' || (settings.store === 'auto' && settings.redisUrl === '')) {
    return { store: new MemoryLimitStore(), ping: null };
  }
  const store = new RedisLimitStore({
    url: settings.redisUrl,
    commandTimeoutMs: settings.redisTimeoutMs,
    failureMode: settings.failureMode,
    onFailOpen: settings.onFailOpen,
  });
  return { store, ping: () => store.ping() };
}
