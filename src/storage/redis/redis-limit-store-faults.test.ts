import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from '../../../test/support/redis-server.js';
import type { RedisServer } from '../../../test/support/redis-server.js';
import type { LimitCheck } from '../limit-store.js';
import { RedisLimitStore } from './redis-limit-store.js';

/** Issue 11, points 1–3: what the Redis limit store promises while Redis is paused, slow or busy. */
let server: RedisServer;
let raw: Redis;
const stores: RedisLimitStore[] = [];
let counter = 0;
const unique = (label: string) => `${label}-${++counter}-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  server = await startRedisServer();
  raw = new Redis(server.url);
});
afterAll(async () => {
  server.resume();
  await Promise.all(stores.map((store) => store.close()));
  raw.disconnect();
  await server.stop();
});

async function open(options: Partial<ConstructorParameters<typeof RedisLimitStore>[0]> = {}): Promise<RedisLimitStore> {
  const store = new RedisLimitStore({
    url: server.url, commandTimeoutMs: 100, failureMode: 'fail_open', onFailOpen: () => {}, heartbeatMs: 40, prefix: `t${counter}:`, ...options,
  });
  stores.push(store);
  await store.ready();
  return store;
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Three instances sharing one Redis, each knowing the others are live. */
async function threeInstances(prefix: string): Promise<RedisLimitStore[]> {
  const instances = await Promise.all([0, 1, 2].map(() => open({ prefix })));
  await until(() => instances.every((store) => store.liveInstances === 3), 'three live instances');
  return instances;
}

/** Redis ledger state: spent and reserved (nano-units). */
async function ledger(prefix: string, key: string): Promise<{ spent: number; reserved: number; open: number }> {
  const base = `${prefix}{${key}}`;
  const [spent, reserved, open] = await Promise.all([raw.get(`${base}:s`), raw.get(`${base}:r`), raw.hlen(`${base}:h`)]);
  return { spent: Number(spent ?? 0), reserved: Number(reserved ?? 0), open };
}

describe('degraded mode keeps the promise (fail_open)', () => {
  it('three instances falling back together admit no more of a budget than was left', async () => {
    const prefix = `${unique('p')}:`;
    const [a, b, c] = await threeInstances(prefix);
    if (a === undefined || b === undefined || c === undefined) throw new Error('three instances');
    const budget: LimitCheck = { kind: 'ledger', key: unique('usd'), limit: 100, cost: 10, span: 0 };
    // 64 of 100 spent through Redis; every instance reads the counter on its way.
    let request = 0;
    for (const store of [a, b, c, a, b, c]) {
      const id = `r${++request}`;
      expect((await store.admit(id, [budget], 1000, 60_000)).admitted).toBe(true);
      await store.settle(id, [{ check: budget, actual: 10 }], 1001, 1000);
    }
    // c read last: it saw 60 spent; a and b saw less. Then a spends 4 more that only Redis knows.
    expect((await a.admit('r7', [{ ...budget, cost: 4 }], 1002, 60_000)).admitted).toBe(true);
    await a.settle('r7', [{ check: { ...budget, cost: 4 }, actual: 4 }], 1003, 1002);
    expect(await ledger(prefix, budget.key)).toMatchObject({ spent: 64, reserved: 0 });

    server.pause();
    try {
      let admitted = 0;
      for (const store of [a, b, c]) {
        for (let index = 0; index < 40; index++) {
          if ((await store.admit(`d${++request}`, [{ ...budget, cost: 1 }], 2000 + index, 60_000)).admitted) admitted++;
        }
      }
      // What was left is 36; each instance gets a third of what it knew was left.
      expect(admitted).toBeLessThanOrEqual(100 - 64 + 10);
      expect(admitted).toBeGreaterThan(0);
    } finally {
      server.resume();
    }
  });

  it('a rate window split across live instances stays within its limit, and a counter never read is refused with 503', async () => {
    const prefix = `${unique('p')}:`;
    const instances = await threeInstances(prefix);
    const rpm: LimitCheck = { kind: 'window', key: unique('rpm'), limit: 60, cost: 1, span: 60_000 };
    const t0 = 10_000_000;
    let request = 0;
    // 30 requests through Redis in the first 10 s.
    for (let index = 0; index < 30; index++) {
      const store = instances[index % 3];
      if (store === undefined) continue;
      expect((await store.admit(`w${++request}`, [rpm], t0 + index * 300, 60_000)).admitted).toBe(true);
    }
    server.pause();
    try {
      const admittedAt: number[] = [];
      // 90 s of a heavy client across all three instances, one request every 100 ms per instance.
      for (let at = t0 + 10_000; at < t0 + 100_000; at += 100) {
        for (const store of instances) {
          if ((await store.admit(`w${++request}`, [rpm], at, 60_000)).admitted) admittedAt.push(at);
        }
      }
      const all = [...Array.from({ length: 30 }, (_unused, index) => t0 + index * 300), ...admittedAt];
      for (const start of all) {
        expect(all.filter((at) => at >= start && at < start + 60_000).length).toBeLessThanOrEqual(60);
      }
      // After the first window the instances still serve their share (20 each per minute).
      expect(admittedAt.filter((at) => at >= t0 + 70_000).length).toBeGreaterThanOrEqual(40);

      const neverRead: LimitCheck = { ...rpm, key: unique('unseen') };
      const first = instances[0];
      if (first === undefined) throw new Error('an instance');
      await expect(first.admit('x', [neverRead], t0, 60_000)).rejects.toMatchObject({ code: 'service_unavailable', status: 503 });
    } finally {
      server.resume();
    }
  });
});

describe('settlements are never lost', () => {
  it('a settlement Redis missed is queued and applied once Redis is back', async () => {
    const prefix = `${unique('p')}:`;
    const store = await open({ prefix });
    const budget: LimitCheck = { kind: 'ledger', key: unique('usd'), limit: 1000, cost: 100, span: 0 };
    expect((await store.admit('a', [budget], 1000, 600_000)).admitted).toBe(true);
    server.pause();
    try {
      await store.settle('a', [{ check: budget, actual: 37 }], 1001, 1000);
      expect(store.queuedSettlements).toBe(1);
    } finally {
      server.resume();
    }
    await until(() => store.queuedSettlements === 0, 'the queue to drain');
    expect(await ledger(prefix, budget.key)).toEqual({ spent: 37, reserved: 0, open: 0 });
  });

  it('a settlement Redis ran after the client timed out is applied once, not twice', async () => {
    const prefix = `${unique('p')}:`;
    const store = await open({ prefix });
    const budget: LimitCheck = { kind: 'ledger', key: unique('usd'), limit: 1000, cost: 100, span: 0 };
    expect((await store.admit('a', [budget], 1000, 600_000)).admitted).toBe(true);
    // Redis hangs: the settlement is written, times out on the client, and runs once Redis resumes.
    server.pause();
    try {
      await store.settle('a', [{ check: budget, actual: 37 }], 1001, 1000);
      expect(store.queuedSettlements).toBe(1);
    } finally {
      server.resume();
    }
    // The queued retry runs too, after the first copy: the ledger must count it once.
    await store.flushSettlements();
    await until(() => store.queuedSettlements === 0, 'the queue to drain');
    expect(await ledger(prefix, budget.key)).toEqual({ spent: 37, reserved: 0, open: 0 });
  });

  it('an admission Redis ran after the client gave up leaves no phantom reservation once Redis is back', async () => {
    const prefix = `${unique('p')}:`;
    const store = await open({ prefix });
    const budget: LimitCheck = { kind: 'ledger', key: unique('usd'), limit: 1000, cost: 100, span: 0 };
    // Read once so the local fallback may decide.
    expect((await store.admit('primer', [budget], 900, 600_000)).admitted).toBe(true);
    await store.settle('primer', [{ check: budget, actual: 0 }], 901, 900);
    // The admission is written to a hung Redis, decided locally, and run by Redis when it resumes.
    server.pause();
    try {
      const result = await store.admit('a', [budget], 1000, 600_000);
      expect(result.admitted).toBe(true);
    } finally {
      server.resume();
    }
    // The request was decided locally; it settles its real cost, which Redis must learn too.
    await store.settle('a', [{ check: budget, actual: 25 }], 1001, 1000);
    await store.flushSettlements();
    await until(() => store.queuedSettlements === 0, 'the queue to drain');
    expect(await ledger(prefix, budget.key)).toEqual({ spent: 25, reserved: 0, open: 0 });
  });
});

describe('timeouts tell a slow host from a dead Redis', () => {
  it('an event loop blocked for four times the timeout does not flip the store into degraded mode', async () => {
    const decisions: string[] = [];
    const store = await open({ commandTimeoutMs: 100, onFailOpen: (operation) => decisions.push(operation) });
    const check: LimitCheck = { kind: 'window', key: unique('lag'), limit: 10, cost: 1, span: 60_000 };
    for (let index = 0; index < 5; index++) {
      const pending = store.admit(`l${index}`, [check], 1000 + index, 1000);
      // A busy host: the loop is blocked right after the command was sent.
      const blockedUntil = Date.now() + 400;
      while (Date.now() < blockedUntil) { /* a long synchronous task */ }
      expect(await pending).toMatchObject({ admitted: true, states: [{ used: index + 1 }] });
    }
    expect(decisions).toEqual([]);
  });

  it('a paused Redis is still detected within about the timeout', async () => {
    const decisions: string[] = [];
    const store = await open({ commandTimeoutMs: 100, onFailOpen: (operation) => decisions.push(operation) });
    const check: LimitCheck = { kind: 'window', key: unique('dead'), limit: 10, cost: 1, span: 60_000 };
    expect((await store.admit('p', [check], 999, 1000)).admitted).toBe(true);
    server.pause();
    try {
      const started = performance.now();
      expect((await store.admit('q', [check], 1000, 1000)).admitted).toBe(true);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(decisions).toEqual(['admit']);
    } finally {
      server.resume();
    }
  });
});
