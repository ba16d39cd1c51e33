import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../test/support/redis-server.js';
import type { RedisServer } from '../../test/support/redis-server.js';
import type { CapCall, CapDecision, CapWarning, ChatRequest, GatewayEvent, Usage } from '../core/index.js';
import { createPriceBook } from '../pricing/index.js';
import { MemoryLimitStore, RedisLimitStore } from '../storage/index.js';
import type { LimitStore } from '../storage/index.js';
import { estimateChatInput } from './estimate-input.js';
import { DisabledProviderCaps, ProviderCaps, createProviderCaps } from './provider-caps.js';
import type { CapsSettings } from './provider-caps.js';

const CHAT: ChatRequest = { model: 'smart', messages: [{ role: 'user', content: 'hi' }], max_tokens: 12 };
const CALL: CapCall = { kind: 'chat', request: CHAT };
/** What one call reserves: its estimated input plus max_tokens. */
const WORST = estimateChatInput(CHAT).tokens + 12;
const CLAUDE = { publicModel: 'smart', provider: 'claude', model: 'sonnet' };
const OPENAI = { publicModel: 'smart', provider: 'openai', model: 'gpt' };

function usage(totalTokens: number): Usage {
  return { promptTokens: totalTokens, completionTokens: 0, totalTokens, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

function granted(decision: CapDecision): Extract<CapDecision, { granted: true }> {
  if (!decision.granted) throw new Error(`refused: ${decision.refusal.message}`);
  return decision;
}

/** Lets fire-and-forget warning work (a store round trip) land. */
async function settleWarnings(events: GatewayEvent[], count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (events.filter((event) => event.type === 'cap-warning').length < count && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let redis: RedisServer;
let prefixCounter = 0;
const stores: LimitStore[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
}, 30_000);

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await redis?.stop();
});

/** The same suite against the memory store and a real redis-server (a fresh key prefix per test). */
describe.each([
  { backend: 'memory', open: async (): Promise<() => LimitStore> => { const store = new MemoryLimitStore(); return () => store; } },
  {
    backend: 'redis',
    open: async (): Promise<() => LimitStore> => {
      const prefix = `caps-test-${++prefixCounter}:`;
      // Each call opens another connection on the same prefix: another gateway instance.
      return () => {
        const store = new RedisLimitStore({ url: redis.url, commandTimeoutMs: 2000, failureMode: 'fail_closed', onFailOpen: () => {}, prefix });
        stores.push(store);
        return store;
      };
    },
  },
])('ProviderCaps on $backend', ({ open }) => {
  async function caps(settings: CapsSettings, clock: { now: number }, events: GatewayEvent[] = [], instance?: () => LimitStore) {
    const store = (instance ?? (await open()))();
    return new ProviderCaps(settings, {
      store,
      prices: createPriceBook({ providerTypes: new Map(), overrides: new Map([['smart', { inputPerMtok: 1_000_000, outputPerMtok: 1_000_000 }]]) }),
      events: { emit: (event) => events.push(event) },
      leaseMs: 60_000,
      defaultMaxOutputTokens: 100,
      clock: () => clock.now,
    });
  }
  const settings = (limits: CapsSettings['providers'][number]['limits']): CapsSettings => ({
    providers: [{ name: 'claude', limits }, { name: 'openai' }],
    models: [{ name: 'smart', targets: [{ provider: 'claude', model: 'sonnet' }, { provider: 'openai', model: 'gpt' }] }],
  });

  it('a daily token cap refuses the call that would pass it, names the cap, and reopens at UTC midnight', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 23, 59, 0) };
    const gate = await caps(settings({ tokens_per_day: WORST * 2 + 5 }), clock);
    await granted(await gate.reserve(CLAUDE, CALL, 'r1')).hold.settle(usage(WORST), 0);
    await granted(await gate.reserve(CLAUDE, CALL, 'r2')).hold.settle(usage(WORST), 0);
    const refused = await gate.reserve(CLAUDE, CALL, 'r3');
    expect(refused).toMatchObject({ granted: false, refusal: { cap: 'provider claude tokens_per_day', retryAfterMs: 60_000 } });
    // Another provider is not touched by claude's cap.
    expect((await gate.reserve(OPENAI, CALL, 'r3')).granted).toBe(true);
    clock.now = Date.UTC(2026, 11, 6, 0, 0, 0);
    expect((await gate.reserve(CLAUDE, CALL, 'r4')).granted).toBe(true);
  });

  it('a monthly cap resets on the first of the next UTC month, not at midnight', async () => {
    const clock = { now: Date.UTC(2026, 11, 30, 12, 0, 0) };
    const gate = await caps(settings({ tokens_per_month: WORST }), clock);
    await granted(await gate.reserve(CLAUDE, CALL, 'r1')).hold.settle(usage(WORST), 0);
    clock.now = Date.UTC(2026, 11, 31, 23, 0, 0);
    expect(await gate.reserve(CLAUDE, CALL, 'r2')).toMatchObject({ granted: false, refusal: { cap: 'provider claude tokens_per_month', retryAfterMs: 3_600_000 } });
    clock.now = Date.UTC(2027, 0, 1, 0, 0, 0);
    expect((await gate.reserve(CLAUDE, CALL, 'r3')).granted).toBe(true);
  });

  it('a usd cap reserves the priced worst case and settles to the priced usage', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 10, 0, 0) };
    // $1 per token (both ways): the cap holds WORST + 3 dollars.
    const gate = await caps(settings({ usd_per_day: WORST + 3 }), clock);
    const first = granted(await gate.reserve(CLAUDE, CALL, 'r1'));
    // The open reservation blocks a second call until it settles.
    expect((await gate.reserve(CLAUDE, CALL, 'r2')).granted).toBe(false);
    await first.hold.settle(usage(3), 0);
    granted(await gate.reserve(CLAUDE, CALL, 'r3'));
    expect((await gate.reserve(CLAUDE, CALL, 'r4')).granted).toBe(false);
  });

  it('rpm caps requests toward the provider within a sliding minute', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 10, 0, 0) };
    const gate = await caps(settings({ rpm: 2 }), clock);
    granted(await gate.reserve(CLAUDE, CALL, 'r1'));
    granted(await gate.reserve(CLAUDE, CALL, 'r2'));
    const refused = await gate.reserve(CLAUDE, CALL, 'r3');
    expect(refused).toMatchObject({ granted: false, refusal: { cap: 'provider claude rpm' } });
    clock.now += 61_001;
    expect((await gate.reserve(CLAUDE, CALL, 'r4')).granted).toBe(true);
  });

  it('model caps span every target of the public model; target caps only their target; direct calls only provider caps', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 10, 0, 0) };
    const gate = await caps({
      providers: [{ name: 'claude' }, { name: 'openai' }],
      models: [{
        name: 'smart', limits: { tokens_per_day: WORST * 2 },
        targets: [{ provider: 'claude', model: 'sonnet', limits: { tokens_per_day: WORST } }, { provider: 'openai', model: 'gpt' }],
      }],
    }, clock);
    expect(gate.covers({ publicModel: null, provider: 'claude', model: 'sonnet' })).toBe(false);
    await granted(await gate.reserve(CLAUDE, CALL, 'r1')).hold.settle(usage(WORST), 0);
    expect(await gate.reserve(CLAUDE, CALL, 'r2')).toMatchObject({ granted: false, refusal: { cap: 'target smart:claude/sonnet tokens_per_day' } });
    await granted(await gate.reserve(OPENAI, CALL, 'r3')).hold.settle(usage(WORST), 0);
    expect(await gate.reserve(OPENAI, CALL, 'r4')).toMatchObject({ granted: false, refusal: { cap: 'model smart tokens_per_day' } });
  });

  it('warns at 50, 80 and 100 % exactly once per cap and period, and again in the next period', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 10, 0, 0) };
    const events: GatewayEvent[] = [];
    const limit = WORST * 10;
    const gate = await caps(settings({ tokens_per_day: limit }), clock, events);
    const warnings = () => events.filter((event): event is CapWarning => event.type === 'cap-warning');
    // 6 × WORST crosses 50 %, 9 × WORST crosses 80 %; then refusals (the worst case no longer fits) reach 100 %.
    for (let index = 0; index < 9; index++) await granted(await gate.reserve(CLAUDE, CALL, `a${index}`)).hold.settle(usage(WORST), 0);
    await granted(await gate.reserve(CLAUDE, CALL, 'a9')).hold.settle(usage(WORST - 1), 0);
    for (let index = 0; index < 5; index++) expect((await gate.reserve(CLAUDE, CALL, `b${index}`)).granted).toBe(false);
    await settleWarnings(events, 3);
    expect(warnings().map((warning) => warning.threshold)).toEqual([0.5, 0.8, 1]);
    expect(warnings()[0]).toMatchObject({ scope: 'provider', subject: 'claude', cap: 'tokens_per_day', limit, period: '2026-12-05' });
    clock.now = Date.UTC(2026, 11, 6, 0, 0, 1);
    for (let index = 0; index < 10; index++) await granted(await gate.reserve(CLAUDE, CALL, `c${index}`)).hold.settle(usage(WORST), 0);
    await settleWarnings(events, 6);
    expect(warnings().map((warning) => `${warning.period} ${warning.threshold}`)).toEqual([
      '2026-12-05 0.5', '2026-12-05 0.8', '2026-12-05 1', '2026-12-06 0.5', '2026-12-06 0.8', '2026-12-06 1',
    ]);
  });

  it('50 concurrent calls through two instances sharing one store never pass the cap', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 10, 0, 0) };
    const instance = await open();
    const events: GatewayEvent[] = [];
    const gates = [await caps(settings({ tokens_per_day: WORST * 7 }), clock, events, instance), await caps(settings({ tokens_per_day: WORST * 7 }), clock, events, instance)];
    const decisions = await Promise.all(Array.from({ length: 50 }, (_, index) => gates[index % 2]?.reserve(CLAUDE, CALL, `p${index}`)));
    const held = decisions.filter((decision) => decision?.granted === true);
    expect(held).toHaveLength(7);
    await Promise.all(held.map(async (decision) => {
      if (decision?.granted === true) await decision.hold.settle(usage(WORST), 0);
    }));
    expect((await gates[0]?.reserve(CLAUDE, CALL, 'late'))?.granted).toBe(false);
    await settleWarnings(events, 3);
    // Seven settlements crossed each line; each threshold still fired once, across both instances.
    expect(events.filter((event) => event.type === 'cap-warning').map((event) => event.type === 'cap-warning' && event.threshold)).toEqual([0.5, 0.8, 1]);
  });

  it('the snapshot shows each cap with its use and next reset, and takes nothing', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 10, 0, 0) };
    const gate = await caps(settings({ tokens_per_day: 1000, usd_per_month: 5000, rpm: 10 }), clock);
    await granted(await gate.reserve(CLAUDE, CALL, 'r1')).hold.settle(usage(40), 0);
    const first = await gate.snapshot();
    expect(first).toEqual([
      { scope: 'provider', subject: 'claude', cap: 'rpm', limit: 10, used: 1, period: null, resetsAt: expect.any(Number) },
      { scope: 'provider', subject: 'claude', cap: 'tokens_per_day', limit: 1000, used: 40, period: '2026-12-05', resetsAt: Date.UTC(2026, 11, 6) },
      { scope: 'provider', subject: 'claude', cap: 'usd_per_month', limit: 5000, used: 40, period: '2026-12', resetsAt: Date.UTC(2027, 0, 1) },
    ]);
    expect(await gate.snapshot()).toEqual(first);
  });

  it('rpm caps warn at 50, 80 and 100 % once per UTC minute across two instances, from admissions and refusals', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 10, 0, 5) };
    const instance = await open();
    const events: GatewayEvent[] = [];
    const gates = [await caps(settings({ rpm: 10 }), clock, events, instance), await caps(settings({ rpm: 10 }), clock, events, instance)];
    const warnings = () => events.filter((event): event is CapWarning => event.type === 'cap-warning');
    const decisions: CapDecision[] = [];
    for (let index = 0; index < 14; index++) {
      const decision = await gates[index % 2]?.reserve(CLAUDE, CALL, `m${index}`);
      if (decision !== undefined) decisions.push(decision);
    }
    expect(decisions.filter((decision) => decision.granted)).toHaveLength(10);
    await settleWarnings(events, 3);
    expect(warnings().map((warning) => warning.threshold).sort()).toEqual([0.5, 0.8, 1]);
    expect(warnings().find((warning) => warning.threshold === 0.8)).toMatchObject({
      scope: 'provider', subject: 'claude', cap: 'rpm', used: 8, limit: 10, period: '2026-12-05T10:00',
    });
    // The window frees up in the next minute: the lines are crossed again, and warn again, once each.
    clock.now += 61_000;
    for (let index = 0; index < 12; index++) await gates[index % 2]?.reserve(CLAUDE, CALL, `n${index}`);
    await settleWarnings(events, 6);
    expect(warnings().map((warning) => `${warning.period} ${warning.threshold}`).sort()).toEqual([
      '2026-12-05T10:00 0.5', '2026-12-05T10:00 0.8', '2026-12-05T10:00 1', '2026-12-05T10:01 0.5', '2026-12-05T10:01 0.8', '2026-12-05T10:01 1',
    ]);
  });

  it('a job reserves its priced cost and an rpm slot against its provider\'s caps and settles its real cost from any instance', async () => {
    const clock = { now: Date.UTC(2026, 11, 5, 10, 0, 0) };
    const instance = await open();
    const events: GatewayEvent[] = [];
    const limits = { usd_per_day: 5, rpm: 3, tokens_per_day: 1 };
    const creator = await caps(settings(limits), clock, events, instance);
    const finisher = await caps(settings(limits), clock, events, instance);
    const job = (id: string) => ({ id, requestId: `req-${id}`, reservedAt: clock.now });
    const VIDEO = { publicModel: null, provider: 'claude', model: 'veo' };
    // A token cap does not stop a job: jobs spend no tokens.
    await creator.reserve(CLAUDE, CALL, 'chat-1').then((decision) => (decision.granted ? decision.hold.settle(usage(50), 0) : undefined));
    expect(await creator.reserveJob(VIDEO, job('a'), 2, 3_600_000)).toEqual({ granted: true });
    expect(await creator.reserveJob(VIDEO, job('b'), 2, 3_600_000)).toEqual({ granted: true });
    const refused = await finisher.reserveJob(VIDEO, job('c'), 2, 3_600_000);
    expect(refused).toMatchObject({ granted: false, refusal: { cap: 'provider claude usd_per_day' } });
    // The other instance settles job a's reservation (named by the job) to what it really cost.
    await finisher.settleJob(VIDEO, job('a'), 0.5);
    expect((await finisher.snapshot()).find((use) => use.cap === 'usd_per_day')?.used).toBeCloseTo(2.5, 9);
    expect(await finisher.reserveJob(VIDEO, job('c'), 2, 3_600_000)).toEqual({ granted: true });
    // rpm: a, b, c started within the minute (the refused attempt took no slot).
    expect(await creator.reserveJob(VIDEO, job('d'), 0, 3_600_000)).toMatchObject({ granted: false, refusal: { cap: 'provider claude rpm' } });
    await creator.settleJob(VIDEO, job('b'), 2);
    await creator.settleJob(VIDEO, job('c'), 0);
    expect((await creator.snapshot()).find((use) => use.cap === 'usd_per_day')?.used).toBeCloseTo(2.5, 9);
    await creator.settleJob(VIDEO, { ...job('late'), reservedAt: clock.now }, 1.5);
    await settleWarnings(events, 5);
    const usd = events.filter((event): event is CapWarning => event.type === 'cap-warning' && event.cap === 'usd_per_day');
    expect(usd.map((warning) => warning.threshold)).toEqual([0.5, 0.8]);
  });
});

describe('createProviderCaps', () => {
  it('is the disabled service when no provider, model or target sets limits', async () => {
    const gate = createProviderCaps({ providers: [{ name: 'a' }], models: [{ name: 'm', targets: [{ provider: 'a', model: 'x' }] }] }, {
      store: new MemoryLimitStore(), prices: createPriceBook({ providerTypes: new Map(), overrides: new Map() }),
      events: { emit: () => {} }, leaseMs: 1000, defaultMaxOutputTokens: 10, clock: () => 0,
    });
    expect(gate).toBeInstanceOf(DisabledProviderCaps);
    expect(gate.covers({ publicModel: 'm', provider: 'a', model: 'x' })).toBe(false);
    expect(await gate.snapshot()).toEqual([]);
  });
});

describe('ProviderCaps when Redis fails: the key budgets\' degraded modes', () => {
  function gate(failureMode: 'fail_open' | 'fail_closed', decisions: string[], tokensPerDay = WORST) {
    const store = new RedisLimitStore({
      url: redis.url, commandTimeoutMs: 100, failureMode, onFailOpen: (operation) => decisions.push(operation), prefix: `caps-degraded-${++prefixCounter}:`,
    });
    stores.push(store);
    return new ProviderCaps({ providers: [{ name: 'claude', limits: { tokens_per_day: tokensPerDay } }], models: [] }, {
      store, prices: createPriceBook({ providerTypes: new Map(), overrides: new Map() }), events: { emit: () => {} },
      leaseMs: 60_000, defaultMaxOutputTokens: 100, clock: () => Date.UTC(2026, 11, 5, 10),
    });
  }

  it('fail_open decides from the last shared state (each decision reported), still refusing past the cap', async () => {
    const decisions: string[] = [];
    const caps = gate('fail_open', decisions, 2 * WORST);
    // A decision while Redis answers leaves this instance the shared state to decide from later
    // (what was taken then, the worst case of that call, counts as used).
    await granted(await caps.reserve(CLAUDE, CALL, 'r0')).hold.settle(usage(0), 0);
    redis.pause();
    try {
      await granted(await caps.reserve(CLAUDE, CALL, 'r1')).hold.settle(usage(WORST), 0);
      expect(await caps.reserve(CLAUDE, CALL, 'r2')).toMatchObject({ granted: false, refusal: { cap: 'provider claude tokens_per_day' } });
      // Both calls were decided locally and reported (the 100 % warning's own admission may follow).
      expect(decisions.slice(0, 2)).toEqual(['admit', 'admit']);
    } finally {
      redis.resume();
    }
  });

  it('fail_open without any shared state yet answers 503 service_unavailable rather than guess', async () => {
    const caps = gate('fail_open', []);
    redis.pause();
    try {
      await expect(caps.reserve(CLAUDE, CALL, 'r1')).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
    } finally {
      redis.resume();
    }
  });

  it('fail_closed answers 503 service_unavailable instead of routing blind', async () => {
    const caps = gate('fail_closed', []);
    redis.pause();
    try {
      await expect(caps.reserve(CLAUDE, CALL, 'r1')).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
    } finally {
      redis.resume();
    }
  });
});
