import { describe, expect, it } from 'vitest';
import { resolveConfig } from './resolve-config.js';

const providers = [{ name: 'a', type: 'mock' }];

describe('resilience settings in the config', () => {
  it('accepts every strategy and fills in defaults', () => {
    for (const strategy of ['fallback', 'loadbalance', 'least_busy', 'lowest_latency', 'hedge']) {
      const result = resolveConfig({ providers, models: [{ name: 'm', strategy, targets: [{ provider: 'a', model: 'echo' }] }] });
      expect(result.ok, strategy).toBe(true);
    }
    const result = resolveConfig({ providers, models: [{ name: 'm', targets: [{ provider: 'a', model: 'echo' }] }] });
    if (!result.ok) throw new Error('expected a valid config');
    expect(result.config.models[0]).toMatchObject({
      hedge_after_ms: 2000,
      latency_tolerance: 0.2,
      context_window_fallbacks: [],
      circuit_breaker: { enabled: true, failure_threshold: 5, window_ms: 60_000, cooldown_ms: 30_000, half_open_successes: 2 },
      retry: { max_attempts: 3, initial_delay_ms: 200, max_delay_ms: 8000, multiplier: 2 },
    });
    expect(result.config.models[0]?.fallback_response).toBeUndefined();
  });

  it('checks context_window_fallbacks references', () => {
    const result = resolveConfig({
      providers,
      models: [{ name: 'm', targets: [{ provider: 'a', model: 'echo' }], context_window_fallbacks: ['nope', 'm'] }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { path: 'models[0].context_window_fallbacks[0]', message: 'unknown model "nope"' },
      { path: 'models[0].context_window_fallbacks[1]', message: 'a model cannot fall back to itself' },
    ]);
  });

  it('rejects an empty fallback_response and unknown strategies', () => {
    expect(resolveConfig({ providers, models: [{ name: 'm', targets: [{ provider: 'a', model: 'echo' }], fallback_response: '' }] }).ok).toBe(false);
    expect(resolveConfig({ providers, models: [{ name: 'm', strategy: 'random', targets: [{ provider: 'a', model: 'echo' }] }] }).ok).toBe(false);
  });
});
