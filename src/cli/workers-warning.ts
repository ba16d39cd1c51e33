import type { GatewayConfig } from '../config/index.js';

/**
 * What `--workers N` without shared state means, said once at start: each worker then counts
 * limits, budgets and circuit-breaker failures on its own, so a limit of 20 rpm admits up to
 * 20 × N and a failing upstream needs N times the failures to be skipped everywhere.
 */
export function workersWarning(workers: number, config: GatewayConfig): string | null {
  if (workers <= 1) return null;
  const perWorker: string[] = [];
  const redis = config.storage.redis_url !== '';
  if (config.limits.store === 'memory' || (config.limits.store === 'auto' && !redis)) perWorker.push('rate limits and budgets');
  const breakers = config.storage.circuit_breakers.store;
  if (breakers === 'memory' || (breakers === 'auto' && !redis)) perWorker.push('circuit breakers');
  if (perWorker.length === 0) return null;
  return `sluice: warning: with --workers ${workers} and no Redis, ${perWorker.join(' and ')} are per worker `
    + `(each of the ${workers} workers counts on its own); set storage.redis_url to share them (docs/scaling.md)\n`;
}
