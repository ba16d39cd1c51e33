import { describe, expect, it } from 'vitest';
import { redisServersForSuite } from '../../../test/support/redis-cluster.js';
import type { CircuitKey } from '../../core/index.js';
import { MemoryCircuitBreakerStore } from '../../routing/index.js';
import { describeCircuitBreakerStoreContract } from '../circuit-breaker-store.contract.js';
import { RedisCircuitBreakerStore } from './redis-circuit-breaker-store.js';
import type { RedisCircuitBreakerStoreOptions } from './redis-circuit-breaker-store.js';

const redis = redisServersForSuite();

async function open(options: Partial<RedisCircuitBreakerStoreOptions> = {}): Promise<RedisCircuitBreakerStore> {
  const store = new RedisCircuitBreakerStore({
    url: redis.server().url, commandTimeoutMs: 200, cacheMs: 250, fallback: 'local', local: new MemoryCircuitBreakerStore(), ...options,
  });
  await store.ready();
  return store;
}

describeCircuitBreakerStoreContract('redis', () => open());
describeCircuitBreakerStoreContract('redis cluster of three masters', () => open({ url: redis.cluster().url }));

const settings = { failureThreshold: 3, windowMs: 10_000, cooldownMs: 5000, halfOpenSuccesses: 1 };
let counter = 0;
const unique = (): CircuitKey => ({ provider: `shared-${process.pid}-${++counter}`, model: 'm' });

describe('RedisCircuitBreakerStore across instances', () => {
  it('failures reported by two instances count toward one circuit, which a third sees once its cache expires', async () => {
    const [a, b, c] = await Promise.all([open(), open(), open()]);
    const key = unique();
    const t0 = 2_000_000;
    expect(await c.admit(key, settings, t0)).toMatchObject({ allowed: true });
    await a.record(key, 'failure', false, settings, t0);
    await b.record(key, 'failure', false, settings, t0 + 1);
    expect(await a.record(key, 'failure', false, settings, t0 + 2)).toEqual({ from: 'closed', to: 'open' });
    // C read "closed" at t0 and trusts it for the cache time, not a millisecond longer.
    expect(await c.admit(key, settings, t0 + 249)).toMatchObject({ allowed: true, probe: false });
    expect(await c.admit(key, settings, t0 + 250)).toEqual({ allowed: false, retryAfterMs: 4752, transition: null });
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('exactly one instance gets the half-open probe, and its success closes the circuit for all', async () => {
    const stores = await Promise.all([open(), open(), open()]);
    const key = unique();
    const t0 = 3_000_000;
    for (const store of stores) await store.record(key, 'failure', false, settings, t0);
    const admissions = await Promise.all(stores.flatMap((store) => [store.admit(key, settings, t0 + 5000), store.admit(key, settings, t0 + 5000)]));
    const probes = admissions.filter((admission) => admission.allowed);
    expect(probes).toHaveLength(1);
    expect(admissions.filter((admission) => admission.transition !== null)).toHaveLength(1);
    const holder = stores[admissions.findIndex((admission) => admission.allowed) >> 1];
    expect(await holder?.record(key, 'success', true, settings, t0 + 5100)).toEqual({ from: 'half_open', to: 'closed' });
    for (const store of stores) expect(await store.admit(key, settings, t0 + 5400)).toEqual({ allowed: true, probe: false, transition: null });
    await Promise.all(stores.map((store) => store.close()));
  });

  it('a probe whose instance died is handed out again after its lease (the cooldown)', async () => {
    const [a, b] = await Promise.all([open(), open()]);
    const key = unique();
    const t0 = 4_000_000;
    for (let index = 0; index < 3; index++) await a.record(key, 'failure', false, settings, t0);
    expect(await a.admit(key, settings, t0 + 5000)).toMatchObject({ allowed: true, probe: true });
    await a.close();
    expect(await b.admit(key, settings, t0 + 9999)).toMatchObject({ allowed: false });
    expect(await b.admit(key, settings, t0 + 10_000)).toMatchObject({ allowed: true, probe: true });
    await b.close();
  });
});

describe('RedisCircuitBreakerStore when Redis hangs', () => {
  it('fallback local: this process\'s own breaker decides, within the command timeout, then without waiting', async () => {
    const fallbacks: unknown[] = [];
    const store = await open({ commandTimeoutMs: 100, onFallback: (error) => fallbacks.push(error) });
    const key = unique();
    const t0 = 5_000_000;
    redis.server().pause();
    try {
      let started = Date.now();
      expect(await store.admit(key, settings, t0)).toMatchObject({ allowed: true });
      expect(Date.now() - started).toBeLessThan(1000);
      started = Date.now();
      for (let index = 0; index < 3; index++) await store.record(key, 'failure', false, settings, t0 + 10);
      expect(await store.admit(key, settings, t0 + 20)).toMatchObject({ allowed: false, retryAfterMs: 4990 });
      // Redis is not asked again within a second of failing: no further timeouts.
      expect(Date.now() - started).toBeLessThan(90);
      expect(fallbacks).toHaveLength(1);
    } finally {
      redis.server().resume();
      await store.close();
    }
  });

  it('fallback open: every call is refused until Redis answers again', async () => {
    const store = await open({ commandTimeoutMs: 100, fallback: 'open' });
    const key = unique();
    const t0 = 6_000_000;
    redis.server().pause();
    try {
      expect(await store.admit(key, settings, t0)).toEqual({ allowed: false, retryAfterMs: 1000, transition: null });
    } finally {
      redis.server().resume();
    }
    expect(await store.admit(key, settings, t0 + 1000)).toEqual({ allowed: true, probe: false, transition: null });
    await store.close();
  });
});
