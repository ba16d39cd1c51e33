import { describe, expect, it } from 'vitest';
import type { AttemptRecord, GatewayEvent } from '../core/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { HealthScorer, healthBand } from './health-score.js';

function attempt(status: number | null, errorCode: string | null, durationMs = 100, model = 'gpt-a'): AttemptRecord {
  return { provider: 'primary', model, startedAt: 0, durationMs, status, errorCode, errorMessage: null };
}

function requestEnd(attempts: AttemptRecord[]): GatewayEvent {
  return {
    type: 'request-end',
    summary: {
      requestId: 'r', startedAt: 0, endedAt: 1, durationMs: 1, timeToFirstTokenMs: null, endpoint: 'chat.completions', keyId: null,
      tenantId: null, endUser: null, requestedModel: 'smart', provider: 'primary', providerModel: 'gpt-a', attempts, stream: false,
      status: 200, errorCode: null, errorMessage: null, usage: null, metadata: null, overheadMs: 0, costUsd: 0, usageEstimated: false,
    },
  };
}

function scorer(clock = new ManualClock()): HealthScorer {
  return new HealthScorer({ windowMs: 300_000, minRequests: 10, latencyObjectiveMs: 1000, maxTargets: 100, clock });
}

describe('HealthScorer', () => {
  it('remembers at most maxTargets targets however many distinct direct models are called, keeping the latest', () => {
    const health = scorer();
    for (let index = 0; index < 5000; index += 1) {
      health.handle(requestEnd([attempt(200, null, 100, `direct-${index}`)]));
      health.handle({ type: 'circuit-state', change: { provider: 'primary', model: `direct-${index}`, from: 'closed', to: 'open', at: index } });
    }
    expect(health.size).toBe(100);
    const targets = health.targetScores();
    expect(targets).toHaveLength(100);
    expect(targets.map((target) => target.model)).toContain('direct-4999');
    expect(targets.find((target) => target.model === 'direct-4999')).toMatchObject({ circuit: 'open', score: 0 });
  });

  it('is unknown below min_requests, not 100', () => {
    const health = scorer();
    for (let index = 0; index < 9; index += 1) health.handle(requestEnd([attempt(200, null)]));
    expect(health.targetScores()[0]).toMatchObject({ score: null, band: 'unknown', requests: 9 });
    expect(health.gatewayScore(true)).toBeNull();
  });

  it('counts 5xx, 429, timeouts and network errors against availability, but not a client 4xx', () => {
    const health = scorer();
    for (let index = 0; index < 6; index += 1) health.handle(requestEnd([attempt(200, null)]));
    health.handle(requestEnd([attempt(500, 'provider_error')]));
    health.handle(requestEnd([attempt(429, 'provider_rate_limited')]));
    health.handle(requestEnd([attempt(null, 'provider_timeout')]));
    health.handle(requestEnd([attempt(null, 'provider_error')]));
    for (let index = 0; index < 5; index += 1) health.handle(requestEnd([attempt(400, 'provider_error')]));
    // 6 ok of 10 that speak about the upstream.
    expect(health.targetScores()[0]).toMatchObject({ score: 60, band: 'unhealthy', requests: 10, failures: 4 });
    expect(health.providerScores().get('primary')?.score).toBe(60);
    expect(health.gatewayScore(true)).toBe(60);
  });

  it('scales the score down when p95 latency misses the objective, never below half', () => {
    const health = scorer();
    for (let index = 0; index < 20; index += 1) health.handle(requestEnd([attempt(200, null, 1400)]));
    // p95 falls in the 1500 ms bucket: 1000 / 1500.
    expect(health.targetScores()[0]?.score).toBe(67);
    const slow = scorer();
    for (let index = 0; index < 20; index += 1) slow.handle(requestEnd([attempt(200, null, 100_000)]));
    expect(slow.targetScores()[0]?.score).toBe(50);
  });

  it('scores an open circuit 0 whatever the traffic, and caps a half-open one at 50', () => {
    const health = scorer();
    for (let index = 0; index < 20; index += 1) health.handle(requestEnd([attempt(200, null)]));
    health.handle({ type: 'circuit-state', change: { provider: 'primary', model: 'gpt-a', from: 'closed', to: 'open', at: 0 } });
    expect(health.targetScores()[0]).toMatchObject({ score: 0, circuit: 'open' });
    health.handle({ type: 'circuit-state', change: { provider: 'primary', model: 'gpt-a', from: 'open', to: 'half_open', at: 0 } });
    expect(health.targetScores()[0]?.score).toBe(50);
    // An open circuit with no traffic at all is still 0, not unknown.
    health.handle({ type: 'circuit-state', change: { provider: 'other', model: 'm', from: 'closed', to: 'open', at: 0 } });
    expect(health.providerScores().get('other')?.score).toBe(0);
  });

  it('forgets calls older than the window', async () => {
    const clock = new ManualClock();
    const health = scorer(clock);
    for (let index = 0; index < 10; index += 1) health.handle(requestEnd([attempt(500, 'provider_error')]));
    expect(health.targetScores()[0]?.score).toBe(0);
    await clock.advance(301_000);
    expect(health.targetScores()[0]).toMatchObject({ score: null, requests: 0 });
  });

  it('makes the gateway 0 when a dependency is down, and bands scores', () => {
    expect(scorer().gatewayScore(false)).toBe(0);
    expect([healthBand(95), healthBand(75), healthBand(10), healthBand(null)]).toEqual(['healthy', 'degraded', 'unhealthy', 'unknown']);
  });
});
