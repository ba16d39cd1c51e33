import { describe, expect, it } from 'vitest';
import { resolveConfig } from './resolve-config.js';

describe('provider, model and target caps in the config', () => {
  it('accepts limits on a provider, a public model and one of its targets', () => {
    const result = resolveConfig({
      providers: [{ name: 'claude', type: 'mock', limits: { tokens_per_day: 5_000_000, usd_per_day: 200, usd_per_month: 4000, rpm: 4000 } }],
      models: [{
        name: 'smart', limits: { tokens_per_day: 1_000_000, usd_per_month: 500 },
        targets: [{ provider: 'claude', model: 'sonnet', limits: { tokens_per_month: 9_000_000 } }],
      }],
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.config.providers[0]?.limits).toEqual({ tokens_per_day: 5_000_000, usd_per_day: 200, usd_per_month: 4000, rpm: 4000 });
    expect(result.config.models[0]?.limits).toEqual({ tokens_per_day: 1_000_000, usd_per_month: 500 });
    expect(result.config.models[0]?.targets[0]?.limits).toEqual({ tokens_per_month: 9_000_000 });
  });

  it('refuses unknown cap fields and non-positive or fractional token caps, naming the path', () => {
    const result = resolveConfig({
      providers: [{ name: 'claude', type: 'mock', limits: { tokens_per_week: 5, tokens_per_day: 1.5 } }],
      models: [{ name: 'smart', limits: { usd_per_day: 0 }, targets: [{ provider: 'claude', model: 'sonnet' }] }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((problem) => problem.path);
    expect(paths).toEqual(expect.arrayContaining(['providers[0].limits', 'providers[0].limits.tokens_per_day', 'models[0].limits.usd_per_day']));
  });
});
