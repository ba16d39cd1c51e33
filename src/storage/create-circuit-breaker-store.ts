import type { CircuitBreakerStore } from '../core/index.js';
import { RedisCircuitBreakerStore } from './redis/redis-circuit-breaker-store.js';
import type { CircuitBreakerFallback } from './redis/redis-circuit-breaker-store.js';

export interface CircuitBreakerStoreSettings {
  store: 'auto' | 'memory' | 'redis';
  /** One Redis or comma-separated cluster nodes; empty when Redis is not configured. */
  redisUrl: string;
  fallback: CircuitBreakerFallback;
  cacheMs: number;
  redisTimeoutMs: number;
  /** This process's own breakers: the store itself without Redis, the `local` fallback with it. */
  local: CircuitBreakerStore;
  onFallback: (error: unknown) => void;
}

/** The breaker store a configuration asks for: shared through Redis, or per process. */
export function createCircuitBreakerStore(choice: CircuitBreakerStoreSettings): CircuitBreakerStore & { close(): Promise<void> } {
  if (choice.store === 'memory' || (choice.store === 'auto' && choice.redisUrl === '')) {
    return Object.assign(choice.local, { close: async () => {} });
  }
  return new RedisCircuitBreakerStore({
    url: choice.redisUrl,
    commandTimeoutMs: choice.redisTimeoutMs,
    cacheMs: choice.cacheMs,
    fallback: choice.fallback,
    local: choice.local,
    onFallback: choice.onFallback,
  });
}
