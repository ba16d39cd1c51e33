import { describe, expect, it } from 'vitest';
import type { ExperimentOutcomeRow } from '../../storage/index.js';
import { computeResults } from './experiment-results.js';
import type { ResultsInput } from './experiment-results.js';
import { encodeExposure } from './exposure.js';

let sequence = 0;
function row(variant: string, ok: boolean, overrides: Partial<ExperimentOutcomeRow> & { mode?: 'hashed' | 'random' | 'forced'; phase?: number } = {}): ExperimentOutcomeRow {
  sequence += 1;
  const { mode = 'hashed', phase = 1, ...rest } = overrides;
  return {
    requestId: `req-${sequence}`,
    experimentVariant: encodeExposure({ experiment: 'exp', phase, variant, unitHash: mode === 'random' ? null : `h${sequence}`, mode }),
    startedAt: sequence,
    statusCode: ok ? 200 : 502,
    errorCode: ok ? null : 'provider_error',
    durationMs: 100,
    promptTokens: 10,
    completionTokens: 5,
    costUsd: 0.001,
    cacheStatus: null,
    ...rest,
  };
}

/** `n` rows for a variant, failing every `1 / failureRate`-th one (deterministic, exact rates). */
function rows(variant: string, n: number, failures: number, extra: Partial<ExperimentOutcomeRow> = {}): ExperimentOutcomeRow[] {
  return Array.from({ length: n }, (_, i) => row(variant, i >= failures, extra));
}

const base = (outcomes: ExperimentOutcomeRow[], overrides: Partial<ResultsInput> = {}): ResultsInput => ({
  name: 'exp',
  phase: 1,
  variants: [{ name: 'a', weight: 50 }, { name: 'b', weight: 50 }],
  primaryMetric: 'success_rate',
  guardrails: [],
  minSamplesPerVariant: 500,
  confidence: 0.95,
  outcomes,
  ...overrides,
});

describe('experiment results', () => {
  it('below the minimum sample the verdict is "not enough data" and there is no winner', () => {
    const results = computeResults(base([...rows('a', 200, 20), ...rows('b', 190, 4)]));
    expect(results.enough_data).toBe(false);
    expect(results.winner).toBeNull();
    expect(results.verdict).toMatch(/^Not enough data: a has 200 of 500, b has 190 of 500/);
    expect(results.variants[0]).toMatchObject({ name: 'a', n: 200, successes: 180, success_rate: 0.9 });
  });

  it('above it, a 2 % failure rate beats a 10 % one, with the numbers behind the verdict', () => {
    const results = computeResults(base([...rows('a', 1000, 100), ...rows('b', 1000, 20)]));
    const [comparison] = results.comparisons;
    expect(results.winner).toBe('b');
    expect(comparison).toMatchObject({ variant: 'b', significant: true, better: true });
    expect(comparison?.difference).toBeCloseTo(0.08, 12);
    expect(comparison?.lift).toBeCloseTo(0.08 / 0.9, 12);
    expect(comparison?.p_value).toBeLessThan(1e-10);
    expect(comparison?.prob_beat_control).toBeGreaterThan(0.9999);
    expect(comparison?.expected_loss).toBeLessThan(1e-6);
    expect(results.variants[1]?.ci_low).toBeLessThan(0.98);
    expect(results.variants[1]?.ci_high).toBeGreaterThan(0.98);
    expect(results.verdict).toMatch(/^b beats a on success rate \(P\(beats control\) = 1\.000, \+8\.0 pp, 95 % CI \[/);
    expect(results.srm_alarm).toBe(false);
  });

  it('pinned requests are left out, and so are other phases and other experiments', () => {
    const outcomes = [
      ...rows('a', 50, 0), ...rows('b', 50, 0),
      ...Array.from({ length: 30 }, () => row('b', false, { mode: 'forced' })),
      ...Array.from({ length: 7 }, () => row('a', false, { phase: 2 })),
      { ...row('a', false), experimentVariant: 'other:1:a:-:a' },
    ];
    const results = computeResults(base(outcomes, { minSamplesPerVariant: 10 }));
    expect(results.excluded_forced).toBe(30);
    expect(results.variants.map((variant) => [variant.n, variant.successes])).toEqual([[50, 50], [50, 50]]);
  });

  it('a 5,300/4,700 split at 50/50 raises the sample-ratio alarm and refuses a verdict', () => {
    const results = computeResults(base([...rows('a', 5300, 530), ...rows('b', 4700, 94)]));
    expect(results.srm_p_value).toBeLessThan(0.001);
    expect(results.srm_alarm).toBe(true);
    expect(results.winner).toBeNull();
    expect(results.verdict).toMatch(/^Sample ratio mismatch/);
  });

  it('5,000/4,700 at 50/50 is p = 0.0023: reported, but above the 0.001 alarm bar', () => {
    const results = computeResults(base([...rows('a', 5000, 500), ...rows('b', 4700, 94)]));
    expect(results.srm_p_value).toBeCloseTo(0.00232, 5);
    expect(results.srm_alarm).toBe(false);
  });

  it('cache hits count for success but not for latency, tokens or cost; random assignments are counted', () => {
    const outcomes = [
      ...rows('a', 10, 0, { durationMs: 200 }),
      ...rows('a', 10, 0, { durationMs: 2, cacheStatus: 'hit', costUsd: 0 }),
      ...Array.from({ length: 4 }, () => row('b', true, { mode: 'random', durationMs: 300 })),
    ];
    const results = computeResults(base(outcomes, { minSamplesPerVariant: 1 }));
    expect(results.variants[0]).toMatchObject({ n: 20, successes: 20, cache_hits: 10, latency_p50_ms: 200, latency_mean_ms: 200 });
    expect(results.variants[0]?.total_cost_usd).toBeCloseTo(0.01, 12);
    expect(results.variants[1]).toMatchObject({ n: 4, unit_missing: 4, latency_p95_ms: 300 });
  });

  it('latency is tested on logs; a faster variant wins and a latency guardrail stops a slower one', () => {
    const jitter = (i: number): number => 1 + ((i * 37) % 11) / 10;
    const slow = Array.from({ length: 300 }, (_, i) => row('a', true, { durationMs: Math.round(200 * jitter(i)) }));
    const fast = Array.from({ length: 300 }, (_, i) => row('b', true, { durationMs: Math.round(150 * jitter(i)) }));
    const latency = computeResults(base([...slow, ...fast], { primaryMetric: 'latency', minSamplesPerVariant: 100 }));
    expect(latency.winner).toBe('b');
    expect(latency.comparisons[0]?.difference).toBeLessThan(-40);

    const cheapButSlow = [
      ...Array.from({ length: 300 }, (_, i) => row('a', true, { durationMs: 150 + i % 7, costUsd: 0.002 + (i % 5) * 1e-4 })),
      ...Array.from({ length: 300 }, (_, i) => row('b', true, { durationMs: 300 + i % 7, costUsd: 0.001 + (i % 5) * 1e-4 })),
    ];
    const guarded = computeResults(base(cheapButSlow, { primaryMetric: 'cost', guardrails: ['latency_p95'], minSamplesPerVariant: 100 }));
    expect(guarded.comparisons[0]).toMatchObject({ significant: true, better: true });
    expect(guarded.comparisons[0]?.guardrails[0]).toMatchObject({ metric: 'latency_p95', ok: false });
    expect(guarded.winner).toBeNull();
    expect(guarded.verdict).toMatch(/fails a guardrail \(latency_p95\)/);
  });

  it('with three variants the p-values are Holm-adjusted', () => {
    const outcomes = [...rows('a', 1000, 100), ...rows('b', 1000, 80), ...rows('c', 1000, 20)];
    const results = computeResults(base(outcomes, { variants: [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }, { name: 'c', weight: 1 }] }));
    const [b, c] = results.comparisons;
    // Holm: the smaller p (c) ×2, the larger (b) ×1, kept monotone.
    expect(c?.p_value_adjusted).toBeCloseTo(Math.min(1, 2 * (c?.p_value ?? 1)), 15);
    expect(b?.p_value_adjusted).toBeCloseTo(Math.max(b?.p_value ?? 0, c?.p_value_adjusted ?? 0), 15);
    expect(results.winner).toBe('c');
  });
});
