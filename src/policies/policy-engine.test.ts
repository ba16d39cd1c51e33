import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../core/index.js';
import { MemoryLimitStore } from '../storage/index.js';
import { formatDuration } from './format-duration.js';
import { LimitExceededError } from './limit-exceeded-error.js';
import type { LimitSet } from './limit-set.js';
import { MASTER_PRINCIPAL } from './master-key-authenticator.js';
import { PolicyEngine } from './policy-engine.js';
import { createPriceBook } from '../pricing/index.js';
import type { Principal } from './principal.js';

function principal(limits: LimitSet): Principal {
  return { ...MASTER_PRINCIPAL, role: 'client', keyId: 'k1', label: 'k1', limits, limitSubject: 'key:k1' };
}

function engine(clock: { now: number }, events: GatewayEvent[] = []): PolicyEngine {
  return new PolicyEngine({
    store: new MemoryLimitStore(),
    prices: createPriceBook({ providerTypes: new Map(), overrides: new Map([['m', { inputPerMtok: 1000, outputPerMtok: 1000 }]]) }),
    events: { emit: (event) => events.push(event) },
    tiers: new Map(),
    tenantLimits: new Map(),
    endUserTier: null,
    defaultMaxOutputTokens: 100,
    leaseMs: 60_000,
    clock: () => clock.now,
  });
}

let sequence = 0;
const request = (limits: LimitSet, maxOutputTokens: number | null = 10) => ({
  requestId: `r${++sequence}`, principal: principal(limits), endUser: null, model: 'm', inputTokens: 10, inputCharacters: 30, maxOutputTokens,
});

describe('PolicyEngine', () => {
  it('daily quotas reset at the UTC day boundary, monthly ones at the first of the month', async () => {
    const clock = { now: Date.UTC(2026, 10, 30, 23, 59, 59, 999) };
    const policies = engine(clock);
    const limits: LimitSet = { requestsPerDay: 1, requestsPerMonth: 2 };
    await (await policies.admit(request(limits))).settle({ usage: null, provider: null, providerModel: null, streamedOutputTokens: 0 });
    const refused: unknown = await policies.admit(request(limits)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LimitExceededError);
    expect(refused).toMatchObject({ code: 'quota_exceeded', retryAfterMs: 1 });
    clock.now += 1;
    // 1 December: a new day and a new month.
    await policies.admit(request(limits));
    await policies.admit(request({ requestsPerMonth: 2 }));
    await expect(policies.admit(request({ requestsPerMonth: 2 }))).rejects.toMatchObject({ code: 'quota_exceeded' });
  });

  it('never asks a client refused by a per-minute limit to wait more than 60 s', async () => {
    const policies = engine({ now: Date.UTC(2026, 0, 1) });
    // 20 tokens (10 in, 10 out) can never fit a 5-token window: the store has no wait that helps.
    const tpm: unknown = await policies.admit(request({ tpm: 5 })).catch((error: unknown) => error);
    expect(tpm).toMatchObject({ code: 'rate_limit_exceeded' });
    expect((tpm as LimitExceededError).retryAfterMs).toBeGreaterThan(0);
    expect((tpm as LimitExceededError).retryAfterMs).toBeLessThanOrEqual(60_000);
    await policies.admit(request({ rpm: 1 }));
    const rpm: unknown = await policies.admit(request({ rpm: 1 })).catch((error: unknown) => error);
    expect((rpm as LimitExceededError).retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('warns once at 50, 80 and 100 % of a budget', async () => {
    const clock = { now: Date.UTC(2026, 0, 1) };
    const events: GatewayEvent[] = [];
    const policies = engine(clock, events);
    // A budget of $0.1 and calls that cost $0.03 each (30 tokens at $1000/Mtok).
    const limits: LimitSet = { budgetUsd: 0.1, budgetPeriod: 'month' };
    const usage = { promptTokens: 10, completionTokens: 20, totalTokens: 30, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    for (let index = 0; index < 3; index++) {
      const admission = await policies.admit(request(limits, 20));
      await admission.settle({ usage, provider: 'p', providerModel: 'm', streamedOutputTokens: 0 });
    }
    expect(events.map((event) => (event.type === 'budget-warning' ? event.threshold : null))).toEqual([0.5, 0.8]);
    await (await policies.admit(request(limits, 0))).settle({ usage: { ...usage, completionTokens: 0, promptTokens: 10, totalTokens: 10 }, provider: 'p', providerModel: 'm', streamedOutputTokens: 0 });
    expect(events.map((event) => (event.type === 'budget-warning' ? event.threshold : null))).toEqual([0.5, 0.8, 1]);
    expect(events[2]).toMatchObject({ spentUsd: 0.1, budgetUsd: 0.1, period: '2026-01', scope: 'key', subject: 'key:k1' });
  });

  it('an unlimited caller touches no store and gets no headers', async () => {
    const admission = await engine({ now: 0 }).admit({ ...request({}), principal: MASTER_PRINCIPAL });
    expect(admission.headers).toEqual({});
  });

  it('settles once even when asked twice', async () => {
    const policies = engine({ now: 1000 });
    const admission = await policies.admit(request({ maxConcurrent: 1 }));
    const settlement = { usage: null, provider: null, providerModel: null, streamedOutputTokens: 0 };
    await admission.settle(settlement);
    await admission.settle(settlement);
    await policies.admit(request({ maxConcurrent: 1 }));
    await expect(policies.admit(request({ maxConcurrent: 1 }))).rejects.toMatchObject({ code: 'rate_limit_exceeded' });
  });
});

describe('formatDuration (OpenAI x-ratelimit-reset-*)', () => {
  it.each([[0, '0ms'], [12, '12ms'], [1000, '1s'], [1500, '1.5s'], [360_000, '6m0s'], [3_723_000, '1h2m3s'], [59_999.2, '1m0s']])(
    '%d ms → %s', (milliseconds, text) => expect(formatDuration(milliseconds)).toBe(text));
});
