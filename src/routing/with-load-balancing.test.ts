import { describe, expect, it } from 'vitest';
import type { Provider } from '../core/index.js';
import { sleep } from '../lib/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { callContext, chatRequest, collect, providerError, scriptedProvider } from '../../test/support/scripted-provider.js';
import { withLoadBalancing } from './with-load-balancing.js';

/** A deterministic pseudo-random sequence (mulberry32), so the statistics are reproducible. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

describe('withLoadBalancing', () => {
  it('weighted: shares hold within statistical tolerance', async () => {
    const heavy = scriptedProvider('heavy');
    const light = scriptedProvider('light');
    const route = withLoadBalancing('public', [{ route: heavy, weight: 3 }, { route: light, weight: 1 }], { random: seeded(7) });
    const total = 4000;
    for (let index = 0; index < total; index += 1) await route.chat(chatRequest, callContext());
    // Expected 3000 / 1000; the binomial standard deviation is about 27, so ±4σ is ±110.
    expect(Math.abs(heavy.calls.length - 3000)).toBeLessThan(110);
    expect(heavy.calls.length + light.calls.length).toBe(total);
  });

  it('weighted: falls over to the other target when the picked one fails', async () => {
    const broken = scriptedProvider('broken', [{ kind: 'fail', error: providerError('provider_error', 502) }]);
    const healthy = scriptedProvider('healthy');
    const route = withLoadBalancing('public', [{ route: broken, weight: 1 }, { route: healthy, weight: 1 }], { random: () => 0 });
    const result = await route.chat(chatRequest, callContext());
    expect(result.provider).toBe('healthy');
  });

  it('least_busy: sends the next call to the target with fewest calls in flight', async () => {
    const busy = scriptedProvider('busy', [{ kind: 'hang' }]);
    const idle = scriptedProvider('idle');
    const route = withLoadBalancing('public', [{ route: busy, weight: 1 }, { route: idle, weight: 1 }], {
      strategy: 'least_busy', random: () => 0,
    });
    const controller = new AbortController();
    const hanging = route.chat(chatRequest, callContext(controller.signal));
    hanging.catch(() => undefined);
    expect(busy.calls).toHaveLength(1);
    for (let index = 0; index < 5; index += 1) await route.chat(chatRequest, callContext());
    expect(idle.calls).toHaveLength(5);
    expect(route.stats().map((stats) => stats.inFlight)).toEqual([1, 0]);
    controller.abort(new Error('done'));
    await expect(hanging).rejects.toThrow('done');
    expect(route.stats().map((stats) => stats.inFlight)).toEqual([0, 0]);
  });

  it('least_busy: a stream counts as in flight until it ends', async () => {
    const first = scriptedProvider('first');
    const second = scriptedProvider('second');
    const route = withLoadBalancing('public', [{ route: first, weight: 1 }, { route: second, weight: 1 }], {
      strategy: 'least_busy', random: () => 0,
    });
    const stream = await route.streamChat(chatRequest, callContext());
    expect(route.stats().map((stats) => stats.inFlight)).toEqual([1, 0]);
    await collect(stream);
    expect(route.stats().map((stats) => stats.inFlight)).toEqual([0, 0]);
  });

  it('lowest_latency: prefers the fastest target, sharing with those inside the tolerance band', async () => {
    const clock = new ManualClock();
    const latencies: Record<string, number> = { slow: 500, fast: 100, close: 110 };
    const calls: Record<string, number> = { slow: 0, fast: 0, close: 0 };
    const timed = (name: string): Provider => {
      const inner = scriptedProvider(name);
      return {
        ...inner,
        async chat(request, context) {
          calls[name] = (calls[name] ?? 0) + 1;
          await sleep(clock, latencies[name] ?? 0, context.signal);
          return inner.chat(request, context);
        },
      };
    };
    const route = withLoadBalancing('public', ['slow', 'fast', 'close'].map((name) => ({ route: timed(name), weight: 1 })), {
      strategy: 'lowest_latency', random: seeded(3), clock, latencyTolerance: 0.2,
    });
    async function one(): Promise<void> {
      const pending = route.chat(chatRequest, callContext());
      await clock.advance(500);
      await pending;
    }
    // Unmeasured targets are tried first, so the first three calls measure each once.
    for (let index = 0; index < 3; index += 1) await one();
    expect(calls).toEqual({ slow: 1, fast: 1, close: 1 });
    for (let index = 0; index < 200; index += 1) await one();
    expect(calls.slow).toBe(1);
    expect(calls.fast).toBeGreaterThan(60);
    expect(calls.close).toBeGreaterThan(60);
    expect(route.stats().map((stats) => stats.latencyMs)).toEqual([500, 100, 110]);
  });
});
