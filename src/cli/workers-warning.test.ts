import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/index.js';
import type { GatewayConfig } from '../config/index.js';
import { workersWarning } from './workers-warning.js';

function config(input: object): GatewayConfig {
  const resolved = resolveConfig(input);
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  return resolved.config;
}

describe('workersWarning', () => {
  it('warns that limits and breakers are per worker when several workers run without Redis', () => {
    const warning = workersWarning(4, config({}));
    expect(warning).toContain('--workers 4 and no Redis, rate limits and budgets and circuit breakers are per worker');
    expect(warning).toContain('storage.redis_url');
  });

  it('says nothing for one worker, or when Redis shares both', () => {
    expect(workersWarning(1, config({}))).toBeNull();
    expect(workersWarning(4, config({ storage: { redis_url: 'redis://127.0.0.1:6379' } }))).toBeNull();
    expect(workersWarning(4, config({ storage: { redis_cluster: ['127.0.0.1:7000', '127.0.0.1:7001'] } }))).toBeNull();
  });

  it('names only what stays per worker when one store is forced to memory', () => {
    const warning = workersWarning(2, config({ storage: { redis_url: 'redis://127.0.0.1:6379', circuit_breakers: { store: 'memory' } } }));
    expect(warning).toContain('no Redis, circuit breakers are per worker');
    expect(warning).not.toContain('rate limits');
  });
});
