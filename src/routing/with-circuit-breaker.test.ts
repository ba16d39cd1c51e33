import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../core/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { callContext, chatRequest, providerError, scriptedProvider } from '../../test/support/scripted-provider.js';
import type { Step } from '../../test/support/scripted-provider.js';
import { MemoryCircuitBreakerStore } from './circuit-breaker-store.js';
import { CircuitOpenError } from './circuit-open-error.js';
import { summariseCircuits } from './summarise-circuits.js';
import { withCircuitBreaker } from './with-circuit-breaker.js';
import { withFallback } from './with-fallback.js';

const settings = { failureThreshold: 3, windowMs: 10_000, cooldownMs: 5000, halfOpenSuccesses: 2 };
const serverError: Step = { kind: 'fail', error: providerError('provider_error', 500) };

function setup(steps: Step[]) {
  const clock = new ManualClock();
  const store = new MemoryCircuitBreakerStore();
  const events: GatewayEvent[] = [];
  const upstream = scriptedProvider('up', steps);
  const route = withCircuitBreaker(upstream, { provider: 'up', model: 'm' }, settings, {
    store, clock, events: { emit: (event) => events.push(event) },
  });
  const transitions = () => events.flatMap((event) => (event.type === 'circuit-state' ? [`${event.change.from}->${event.change.to}`] : []));
  return { clock, store, upstream, route, transitions };
}

async function failTimes(route: ReturnType<typeof setup>['route'], times: number): Promise<void> {
  for (let index = 0; index < times; index += 1) await expect(route.chat(chatRequest, callContext())).rejects.toBeDefined();
}

describe('withCircuitBreaker', () => {
  it('opens after failure_threshold failures, half-opens after the cooldown and closes after enough probes', async () => {
    const { clock, store, upstream, route, transitions } = setup([serverError, serverError, serverError]);
    await failTimes(route, 3);
    expect(transitions()).toEqual(['closed->open']);

    const skipped = route.chat(chatRequest, callContext());
    await expect(skipped).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(skipped).rejects.toMatchObject({ code: 'provider_unavailable', status: 503, retryAfterMs: 5000 });
    expect(upstream.calls).toHaveLength(3);
    // The cooldown end is the moment the skipped call was told to retry at.
    expect(summariseCircuits(['up'], await store.snapshot(clock.now()))).toEqual({
      up: { circuit: 'open', targets: { m: 'open' }, cooldowns: { m: new Date(clock.now() + 5000).toISOString() } },
    });

    await clock.advance(5000);
    await expect(route.chat(chatRequest, callContext())).resolves.toBeDefined();
    expect(transitions()).toEqual(['closed->open', 'open->half_open']);
    expect((await store.snapshot(clock.now()))[0]?.state).toBe('half_open');
    await expect(route.chat(chatRequest, callContext())).resolves.toBeDefined();
    expect(transitions()).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
    expect(summariseCircuits(['up'], await store.snapshot(clock.now()))).toEqual({ up: { circuit: 'closed', targets: {}, cooldowns: {} } });
  });

  it('reopens when a half-open probe fails', async () => {
    const { clock, route, transitions } = setup([serverError, serverError, serverError, serverError]);
    await failTimes(route, 3);
    await clock.advance(5000);
    await failTimes(route, 1);
    expect(transitions()).toEqual(['closed->open', 'open->half_open', 'half_open->open']);
    await expect(route.chat(chatRequest, callContext())).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('forgets failures older than window_ms, and does not count client errors', async () => {
    const badRequest: Step = { kind: 'fail', error: providerError('provider_error', 400, { retryable: false }) };
    const { clock, route, transitions } = setup([serverError, serverError, badRequest, badRequest, serverError]);
    await failTimes(route, 2);
    await clock.advance(10_001);
    await failTimes(route, 3);
    expect(transitions()).toEqual([]);
  });

  it('lets fallback move past an open target, and answers 503 with retry-after when every circuit is open', async () => {
    const clock = new ManualClock();
    const store = new MemoryCircuitBreakerStore();
    const first = scriptedProvider('first', [serverError, serverError, serverError]);
    const second = scriptedProvider('second', [serverError, serverError, serverError]);
    const guard = (provider: typeof first) => withCircuitBreaker(provider, { provider: provider.name, model: 'm' }, settings, { store, clock });
    const route = withFallback('public', [guard(first), guard(second)]);
    for (let index = 0; index < 3; index += 1) await expect(route.chat(chatRequest, callContext())).rejects.toMatchObject({ status: 502 });
    await clock.advance(1000);
    const error = route.chat(chatRequest, callContext());
    await expect(error).rejects.toMatchObject({ code: 'provider_unavailable', status: 503, retryAfterMs: 4000 });
    expect(first.calls).toHaveLength(3);
    expect(second.calls).toHaveLength(3);
  });
});
