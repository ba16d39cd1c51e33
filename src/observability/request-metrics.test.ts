import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RequestSummary } from '../core/index.js';
import { parsePrometheusText, seriesCount, sumOf } from '../../test/support/prometheus-text.js';
import { RequestMetrics } from './request-metrics.js';

function summary(overrides: Partial<RequestSummary>): RequestSummary {
  return {
    requestId: 'r', startedAt: 0, endedAt: 10, durationMs: 10, timeToFirstTokenMs: null, endpoint: 'chat.completions',
    keyId: null, tenantId: null, endUser: null, requestedModel: 'smart', provider: 'primary', providerModel: 'gpt-a',
    attempts: [{ provider: 'primary', model: 'gpt-a', startedAt: 0, durationMs: 8, status: 200, errorCode: null, errorMessage: null }],
    stream: false, status: 200, errorCode: null, errorMessage: null, overheadMs: 2, costUsd: 0.001, usageEstimated: false,
    usage: { promptTokens: 5, completionTokens: 3, totalTokens: 8, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    metadata: null,
    ...overrides,
  };
}

describe('RequestMetrics label bounds', () => {
  it('keeps 10,000 random model names and keys at or under the cap plus one series per metric, with exact sums', async () => {
    const registry = new Registry();
    const cap = 50;
    const metrics = new RequestMetrics({
      registry, knownModels: new Set(['smart']), providers: new Set(['primary']), perKey: true, perTenant: true, maxSeriesPerMetric: cap,
    });
    for (let index = 0; index < 10_000; index += 1) {
      const random = Math.random().toString(36).slice(2);
      // Half are direct `provider/model` names an upstream answered (admitted until the cap), half typos.
      const model = index % 2 === 0 ? `primary/${random}` : random;
      metrics.handle({
        type: 'request-end',
        summary: summary({
          requestId: `r${index}`, requestedModel: model, keyId: `key-${random}`, tenantId: `tenant-${random}`,
          attempts: [{ provider: 'primary', model: random, startedAt: 0, durationMs: 8, status: 200, errorCode: null, errorMessage: null }],
        }),
      });
    }
    const samples = parsePrometheusText(await registry.metrics());
    for (const name of ['sluice_requests_total', 'sluice_cost_usd_total', 'sluice_upstream_attempts_total', 'sluice_request_duration_seconds_count']) {
      expect(seriesCount(samples, name), name).toBeLessThanOrEqual(cap + 1);
    }
    // Five token types per request, still bounded.
    expect(seriesCount(samples, 'sluice_tokens_total')).toBeLessThanOrEqual(cap + 1);
    expect(sumOf(samples, 'sluice_requests_total')).toBe(10_000);
    // 5 input + 3 output tokens each: the overflow series keeps the total exact.
    expect(sumOf(samples, 'sluice_tokens_total')).toBe(80_000);
    expect(sumOf(samples, 'sluice_requests_total', { model: 'other', key: 'other', tenant: 'other' })).toBeGreaterThan(9000);
  });

  it('folds a model nobody configured into other even below the cap, and a failed direct name too', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics({
      registry, knownModels: new Set(['smart']), providers: new Set(['primary']), perKey: false, perTenant: false, maxSeriesPerMetric: 2000,
    });
    metrics.handle({ type: 'request-end', summary: summary({ requestedModel: 'smrat', status: 404, errorCode: 'model_not_found', provider: null }) });
    metrics.handle({ type: 'request-end', summary: summary({ requestedModel: 'primary/typo', status: 404, errorCode: 'provider_error' }) });
    metrics.handle({ type: 'request-end', summary: summary({ requestedModel: 'primary/gpt-4o' }) });
    const samples = parsePrometheusText(await registry.metrics());
    expect(sumOf(samples, 'sluice_requests_total', { model: 'other' })).toBe(2);
    expect(sumOf(samples, 'sluice_requests_total', { model: 'primary/gpt-4o' })).toBe(1);
  });

  it('pairs request-start with request-end for the in-flight gauge, ignoring ends it never saw start', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics({
      registry, knownModels: new Set(), providers: new Set(), perKey: false, perTenant: false, maxSeriesPerMetric: 10,
    });
    metrics.handle({ type: 'request-start', requestId: 'a', endpoint: 'chat.completions', startedAt: 0 });
    metrics.handle({ type: 'request-start', requestId: 'b', endpoint: 'chat.completions', startedAt: 0 });
    metrics.handle({ type: 'request-end', summary: summary({ requestId: 'a' }) });
    metrics.handle({ type: 'request-end', summary: summary({ requestId: 'refused-before-start' }) });
    expect(sumOf(parsePrometheusText(await registry.metrics()), 'sluice_http_in_flight_requests')).toBe(1);
  });

  it('shows circuit state per target and counts transitions, budget warnings and fail-open decisions', async () => {
    const registry = new Registry();
    const metrics = new RequestMetrics({
      registry, knownModels: new Set(), providers: new Set(), perKey: false, perTenant: false, maxSeriesPerMetric: 10,
    });
    metrics.handle({ type: 'circuit-state', change: { provider: 'p', model: 'm', from: 'closed', to: 'open', at: 1 } });
    metrics.handle({ type: 'circuit-state', change: { provider: 'p', model: 'm', from: 'open', to: 'half_open', at: 2 } });
    metrics.handle({ type: 'budget-warning', scope: 'key', subject: 'key:k', threshold: 0.8, spentUsd: 8, budgetUsd: 10, period: 'total' });
    metrics.handle({ type: 'limit-store-fail-open', operation: 'admit' });
    const samples = parsePrometheusText(await registry.metrics());
    expect(sumOf(samples, 'sluice_circuit_state', { provider: 'p', target_model: 'm' })).toBe(1);
    expect(sumOf(samples, 'sluice_circuit_transitions_total', { to: 'open' })).toBe(1);
    expect(sumOf(samples, 'sluice_budget_warnings_total', { scope: 'key', threshold: '0.8' })).toBe(1);
    expect(sumOf(samples, 'sluice_limit_store_fail_open_total', { operation: 'admit' })).toBe(1);
  });

  it('keeps circuit states for at most the series cap of targets however many distinct direct models change state', async () => {
    const registry = new Registry();
    const cap = 20;
    const metrics = new RequestMetrics({
      registry, knownModels: new Set(), providers: new Set(['p']), perKey: false, perTenant: false, maxSeriesPerMetric: cap,
    });
    for (let index = 0; index < 5000; index += 1) {
      metrics.handle({ type: 'circuit-state', change: { provider: 'p', model: `direct-${index}`, from: 'closed', to: 'open', at: index } });
    }
    expect(metrics.circuitStateCount).toBe(cap);
    const samples = parsePrometheusText(await registry.metrics());
    expect(seriesCount(samples, 'sluice_circuit_state')).toBe(cap);
    // The most recent change is the one kept.
    expect(sumOf(samples, 'sluice_circuit_state', { provider: 'p', target_model: 'direct-4999' })).toBe(2);
  });
});
