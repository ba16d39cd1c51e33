import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../core/index.js';
import { ManualClock } from '../../../test/support/manual-clock.js';
import { AlertEngine } from './alert-engine.js';
import type { AlertNotification, AlertRule } from './alert-rule.js';

function rule(overrides: Partial<AlertRule>): AlertRule {
  return {
    name: 'errors', type: 'error_rate', threshold: 0.5, thresholds: [0.5, 0.8, 1], window_ms: 60_000, min_requests: 4,
    for_ms: 120_000, scope: 'model', channels: [], ...overrides,
  };
}

function request(status: number, model = 'smart', durationMs = 100): GatewayEvent {
  return {
    type: 'request-end',
    summary: {
      requestId: 'r', startedAt: 0, endedAt: durationMs, durationMs, timeToFirstTokenMs: null, endpoint: 'chat.completions', keyId: null,
      tenantId: null, endUser: null, requestedModel: model, provider: 'primary', providerModel: 'gpt-a', attempts: [], stream: false,
      status, errorCode: status >= 400 ? 'provider_error' : null, errorMessage: null, usage: null, metadata: null, overheadMs: 0,
      costUsd: 0, usageEstimated: false,
    },
  };
}

function setUp(rules: AlertRule[], repeatIntervalMs = 3_600_000) {
  const clock = new ManualClock();
  const sent: AlertNotification[] = [];
  const engine = new AlertEngine({ rules, repeatIntervalMs, sendResolved: true, clock, notify: (notification) => sent.push(notification) });
  return { clock, sent, engine };
}

describe('AlertEngine', () => {
  it('stays pending until the condition held for for_ms, then fires once, repeats after the interval, and resolves', async () => {
    const { clock, sent, engine } = setUp([rule({})], 600_000);
    const failBurst = () => {
      for (let index = 0; index < 4; index += 1) engine.handle(request(502));
    };
    failBurst();
    engine.evaluate();
    expect(engine.snapshot().active).toMatchObject([{ rule: 'errors', scopeKey: 'smart', state: 'pending', value: 1 }]);
    expect(sent).toEqual([]);
    // Still failing 60 s later: pending for 60 s of the 120 s.
    await clock.advance(60_000);
    failBurst();
    engine.evaluate();
    expect(sent).toEqual([]);
    await clock.advance(60_000);
    failBurst();
    engine.evaluate();
    expect(sent.map((notification) => notification.state)).toEqual(['firing']);
    expect(sent[0]).toMatchObject({ rule: 'errors', scopeKey: 'smart', value: 1, threshold: 0.5, windowMs: 60_000 });
    // Evaluated again before the repeat interval: nothing new.
    await clock.advance(30_000);
    failBurst();
    engine.evaluate();
    expect(sent).toHaveLength(1);
    await clock.advance(600_000);
    failBurst();
    engine.evaluate();
    expect(sent.map((notification) => notification.state)).toEqual(['firing', 'firing']);
    expect(sent[1]?.dedupeKey).not.toBe(sent[0]?.dedupeKey);
    // Healthy traffic only: the window forgets the failures and the alert resolves, once.
    await clock.advance(61_000);
    for (let index = 0; index < 4; index += 1) engine.handle(request(200));
    engine.evaluate();
    engine.evaluate();
    expect(sent.map((notification) => notification.state)).toEqual(['firing', 'firing', 'resolved']);
    expect(engine.snapshot().active).toEqual([]);
  });

  it('never fires below min_requests, and a pending alert that recovers sends nothing', async () => {
    const { clock, sent, engine } = setUp([rule({ for_ms: 60_000 })]);
    for (let index = 0; index < 3; index += 1) engine.handle(request(500));
    engine.evaluate();
    expect(engine.snapshot().active).toEqual([]);
    engine.handle(request(500));
    engine.evaluate();
    expect(engine.snapshot().active[0]?.state).toBe('pending');
    await clock.advance(30_000);
    for (let index = 0; index < 10; index += 1) engine.handle(request(200));
    engine.evaluate();
    expect(engine.snapshot().active).toEqual([]);
    expect(sent).toEqual([]);
  });

  it('does not count a client 4xx as an error', () => {
    const { sent, engine } = setUp([rule({ for_ms: 0 })]);
    for (let index = 0; index < 10; index += 1) engine.handle(request(400));
    engine.evaluate();
    expect(sent).toEqual([]);
  });

  it('fires p95 latency per scope over the threshold', () => {
    const { sent, engine } = setUp([rule({ name: 'slow', type: 'p95_latency', threshold: 2000, for_ms: 0, scope: 'provider' })]);
    for (let index = 0; index < 10; index += 1) engine.handle(request(200, 'smart', 4000));
    engine.evaluate();
    expect(sent).toMatchObject([{ rule: 'slow', scopeKey: 'primary', state: 'firing', value: 5000 }]);
  });

  it('notifies a circuit opening and its closing, and each budget threshold once', () => {
    const { sent, engine } = setUp([rule({ name: 'circuit', type: 'circuit_open' }), rule({ name: 'budget', type: 'budget', thresholds: [0.8, 1] })]);
    engine.handle({ type: 'circuit-state', change: { provider: 'p', model: 'm', from: 'closed', to: 'open', at: 0 } });
    engine.handle({ type: 'circuit-state', change: { provider: 'p', model: 'm', from: 'open', to: 'half_open', at: 0 } });
    engine.handle({ type: 'circuit-state', change: { provider: 'p', model: 'm', from: 'half_open', to: 'closed', at: 0 } });
    const warning = { type: 'budget-warning', scope: 'key', subject: 'key:k1', spentUsd: 8, budgetUsd: 10, period: '2026-12' } as const;
    engine.handle({ ...warning, threshold: 0.5 });
    engine.handle({ ...warning, threshold: 0.8 });
    expect(sent.map((notification) => `${notification.rule} ${notification.scopeKey} ${notification.state}`)).toEqual([
      'circuit p/m firing', 'circuit p/m resolved', 'budget key:k1 firing',
    ]);
    expect(sent[2]?.dedupeKey).toBe('alert:budget:key:k1:2026-12:0.8');
  });
});

describe('AlertEngine and provider caps', () => {
  it('a budget rule scoped to providers notifies provider cap thresholds once each; a model-scoped one model and target caps', () => {
    const { sent, engine } = setUp([
      rule({ name: 'supply', type: 'budget', scope: 'provider', thresholds: [0.8, 1] }),
      rule({ name: 'models', type: 'budget', scope: 'model', thresholds: [1] }),
    ]);
    const warning = { type: 'cap-warning', scope: 'provider', subject: 'claude', cap: 'usd_per_day', used: 160, limit: 200, period: '2026-12-05' } as const;
    engine.handle({ ...warning, threshold: 0.5 });
    engine.handle({ ...warning, threshold: 0.8 });
    engine.handle({ type: 'cap-warning', scope: 'target', subject: 'smart:claude/sonnet', cap: 'tokens_per_day', used: 100, limit: 100, period: '2026-12-05', threshold: 1 });
    expect(sent.map((notification) => `${notification.rule} ${notification.scopeKey} ${notification.dedupeKey}`)).toEqual([
      'supply provider:claude alert:cap:supply:provider:claude:usd_per_day:2026-12-05:0.8',
      'models target:smart:claude/sonnet alert:cap:models:target:smart:claude/sonnet:tokens_per_day:2026-12-05:1',
    ]);
    expect(sent[0]?.summary).toBe('provider claude used $160.00 of its usd_per_day cap of $200.00 (80 %, period 2026-12-05)');
  });
});
