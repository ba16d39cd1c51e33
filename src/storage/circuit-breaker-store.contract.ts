import { describe, expect, it } from 'vitest';
import type { CircuitBreakerStore, CircuitKey } from '../core/index.js';

const settings = { failureThreshold: 3, windowMs: 10_000, cooldownMs: 5000, halfOpenSuccesses: 2 };

/** The behaviour every CircuitBreakerStore must show; run by the memory and the Redis implementation. */
export function describeCircuitBreakerStoreContract(name: string, open: () => Promise<CircuitBreakerStore & { close?: () => Promise<void> }>): void {
  let counter = 0;
  const unique = (label: string): CircuitKey => ({
    provider: `p-${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}`, model: label,
  });
  const t0 = 1_000_000_000;

  async function openCircuit(store: CircuitBreakerStore, key: CircuitKey, at: number): Promise<void> {
    for (let index = 0; index < settings.failureThreshold; index++) await store.record(key, 'failure', false, settings, at);
  }

  describe(`CircuitBreakerStore contract: ${name}`, () => {
    it('a target never seen is closed and admits calls that are not probes', async () => {
      const store = await open();
      expect(await store.admit(unique('fresh'), settings, t0)).toEqual({ allowed: true, probe: false, transition: null });
      await store.close?.();
    });

    it('opens at the failure threshold within the window, not before, and refuses for the cooldown', async () => {
      const store = await open();
      const key = unique('opens');
      expect(await store.record(key, 'failure', false, settings, t0)).toBeNull();
      expect(await store.record(key, 'failure', false, settings, t0 + 1000)).toBeNull();
      expect(await store.record(key, 'failure', false, settings, t0 + 2000)).toEqual({ from: 'closed', to: 'open' });
      expect(await store.admit(key, settings, t0 + 3000)).toEqual({ allowed: false, retryAfterMs: 4000, transition: null });
      expect((await store.snapshot(t0 + 3000)).find((circuit) => circuit.provider === key.provider)).toEqual({ ...key, state: 'open', openUntil: t0 + 2000 + settings.cooldownMs });
      await store.close?.();
    });

    it('failures older than the window do not count, and successes do not reset the count', async () => {
      const store = await open();
      const key = unique('window');
      await store.record(key, 'failure', false, settings, t0);
      await store.record(key, 'failure', false, settings, t0 + 1000);
      expect(await store.record(key, 'failure', false, settings, t0 + 10_500)).toBeNull();
      expect(await store.record(key, 'success', false, settings, t0 + 10_600)).toBeNull();
      expect(await store.record(key, 'failure', false, settings, t0 + 10_700)).toEqual({ from: 'closed', to: 'open' });
      await store.close?.();
    });

    it('after the cooldown exactly one probe goes through; the others wait', async () => {
      const store = await open();
      const key = unique('probe');
      await openCircuit(store, key, t0);
      expect((await store.snapshot(t0 + 5000)).find((circuit) => circuit.provider === key.provider)?.state).toBe('half_open');
      expect(await store.admit(key, settings, t0 + 5000)).toEqual({ allowed: true, probe: true, transition: { from: 'open', to: 'half_open' } });
      expect(await store.admit(key, settings, t0 + 5001)).toEqual({ allowed: false, retryAfterMs: 1000, transition: null });
      // A neutral end (the client left) frees the probe without counting.
      expect(await store.record(key, 'neutral', true, settings, t0 + 5002)).toBeNull();
      expect(await store.admit(key, settings, t0 + 5003)).toEqual({ allowed: true, probe: true, transition: null });
      await store.close?.();
    });

    it('enough successful probes close the circuit; a success that was no probe does not count', async () => {
      const store = await open();
      const key = unique('close');
      await openCircuit(store, key, t0);
      await store.admit(key, settings, t0 + 5000);
      expect(await store.record(key, 'success', false, settings, t0 + 5001)).toBeNull();
      expect(await store.record(key, 'success', true, settings, t0 + 5002)).toBeNull();
      await store.admit(key, settings, t0 + 5003);
      expect(await store.record(key, 'success', true, settings, t0 + 5004)).toEqual({ from: 'half_open', to: 'closed' });
      expect(await store.admit(key, settings, t0 + 5005)).toEqual({ allowed: true, probe: false, transition: null });
      // Closed again with a clean count: the threshold applies afresh.
      await store.record(key, 'failure', false, settings, t0 + 5006);
      expect(await store.record(key, 'failure', false, settings, t0 + 5007)).toBeNull();
      await store.close?.();
    });

    it('a failed probe re-opens the circuit for a whole new cooldown', async () => {
      const store = await open();
      const key = unique('reopen');
      await openCircuit(store, key, t0);
      await store.admit(key, settings, t0 + 5000);
      expect(await store.record(key, 'failure', true, settings, t0 + 6000)).toEqual({ from: 'half_open', to: 'open' });
      expect(await store.admit(key, settings, t0 + 6000)).toEqual({ allowed: false, retryAfterMs: 5000, transition: null });
      expect(await store.admit(key, settings, t0 + 10_999)).toMatchObject({ allowed: false, retryAfterMs: 1 });
      expect(await store.admit(key, settings, t0 + 11_000)).toMatchObject({ allowed: true, probe: true });
      await store.close?.();
    });

    it('failures reported while open change nothing', async () => {
      const store = await open();
      const key = unique('late');
      await openCircuit(store, key, t0);
      expect(await store.record(key, 'failure', false, settings, t0 + 4000)).toBeNull();
      expect(await store.admit(key, settings, t0 + 5000)).toMatchObject({ allowed: true, probe: true });
      await store.close?.();
    });

    it('targets are independent', async () => {
      const store = await open();
      const broken = unique('broken');
      const healthy = { provider: broken.provider, model: 'healthy' };
      await openCircuit(store, broken, t0);
      expect(await store.admit(broken, settings, t0 + 1)).toMatchObject({ allowed: false });
      expect(await store.admit(healthy, settings, t0 + 1)).toEqual({ allowed: true, probe: false, transition: null });
      await store.close?.();
    });
  });
}
