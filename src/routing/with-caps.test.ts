import { describe, expect, it } from 'vitest';
import { AllAttemptsFailedError } from '../core/index.js';
import type { CapDecision, CapGate, CapTarget, Provider, Usage } from '../core/index.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { callContext, chatRequest, chunk, collect, providerError, scriptedProvider } from '../../test/support/scripted-provider.js';
import { buildRoutes } from './build-route.js';
import type { RouteSettings } from './build-route.js';
import { CapReachedError } from './circuit-open-error.js';

const retry = { max_attempts: 3, initial_delay_ms: 0, max_delay_ms: 0, multiplier: 1 };

/**
 * A gate allowing each provider a number of calls, refusing with the given reset after that, and
 * recording what each call settled with (the real accounting is ProviderCaps, tested on its own).
 */
function allowanceGate(allowances: Record<string, number>, resetMs: Record<string, number> = {}) {
  const settled: Array<{ provider: string; usage: Usage | null; streamed: number }> = [];
  const reserved: CapTarget[] = [];
  const gate: CapGate = {
    covers: (target) => target.provider in allowances,
    async reserve(target): Promise<CapDecision> {
      reserved.push(target);
      const left = allowances[target.provider] ?? 0;
      if (left <= 0) {
        return { granted: false, refusal: { cap: `provider ${target.provider} tokens_per_day`, retryAfterMs: resetMs[target.provider] ?? 1000, message: `${target.provider} capped` } };
      }
      allowances[target.provider] = left - 1;
      return { granted: true, hold: { settle: async (usage, streamed) => { settled.push({ provider: target.provider, usage, streamed }); } } };
    },
  };
  return { gate, settled, reserved };
}

function routes(settings: RouteSettings, providers: Provider[], gate: CapGate) {
  const built = buildRoutes([settings], { providers: new Map(providers.map((provider) => [provider.name, provider])), clock: new ManualClock(), caps: gate });
  const route = built.get(settings.name);
  if (route === undefined) throw new Error('no route');
  return route;
}

function model(strategy: RouteSettings['strategy'], targets: string[]): RouteSettings {
  return {
    name: 'public', strategy, retry,
    targets: targets.map((provider) => ({ provider, model: `${provider}-model`, weight: 1 })),
    circuit_breaker: { failure_threshold: 1, window_ms: 60_000, cooldown_ms: 30_000, half_open_successes: 1 },
  };
}

describe('withCaps', () => {
  it('skips a capped target like an open circuit: the fallback answers and the trail names the cap', async () => {
    const capped = scriptedProvider('capped');
    const spare = scriptedProvider('spare');
    const { gate, reserved } = allowanceGate({ capped: 0, spare: 5 });
    const context = callContext();
    const result = await routes(model('fallback', ['capped', 'spare']), [capped, spare], gate).chat(chatRequest, context);
    expect(result.provider).toBe('spare');
    expect(capped.calls).toHaveLength(0);
    // Retries do not knock on a capped target again.
    expect(reserved.filter((target) => target.provider === 'capped')).toHaveLength(1);
    expect(reserved[0]).toEqual({ publicModel: 'public', provider: 'capped', model: 'capped-model' });
    expect(context.attempts.map((attempt) => [attempt.provider, attempt.kind, attempt.errorCode, attempt.cap ?? null])).toEqual([
      ['capped', 'skipped', 'provider_cap_reached', 'provider capped tokens_per_day'],
      ['spare', 'fallback', null, null],
    ]);
  });

  it('load balancing moves past a capped target', async () => {
    const capped = scriptedProvider('capped');
    const spare = scriptedProvider('spare');
    const { gate } = allowanceGate({ capped: 0, spare: 50 });
    const route = routes(model('loadbalance', ['capped', 'spare']), [capped, spare], gate);
    for (let index = 0; index < 20; index++) expect((await route.chat(chatRequest, callContext())).provider).toBe('spare');
    expect(capped.calls).toHaveLength(0);
  });

  it('when every target is capped: 429 provider_cap_reached with retry-after at the earliest reset, even a day away', async () => {
    const first = scriptedProvider('first');
    const second = scriptedProvider('second');
    const { gate } = allowanceGate({ first: 0, second: 0 }, { first: 7_200_000, second: 3_600_000 });
    const error: unknown = await routes(model('fallback', ['first', 'second']), [first, second], gate)
      .chat(chatRequest, callContext()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AllAttemptsFailedError);
    expect(error).toMatchObject({ code: 'provider_cap_reached', status: 429, retryAfterMs: 3_600_000 });
    expect(error instanceof AllAttemptsFailedError && error.failures.every((failure) => failure instanceof CapReachedError)).toBe(true);
    expect(error instanceof Error && error.message).toContain('first capped');
  });

  it('caps are checked before the circuit breaker, so a capped target never spends a breaker admission', async () => {
    const capped = scriptedProvider('capped', [{ kind: 'fail', error: providerError('provider_error', 500, { retryable: true }) }]);
    const spare = scriptedProvider('spare');
    const allowances = { capped: 1, spare: 10 };
    const { gate } = allowanceGate(allowances);
    const route = routes({ ...model('fallback', ['capped', 'spare']), retry: undefined }, [capped, spare], gate);
    // The first call fails and opens the breaker (threshold 1); then the target is capped.
    expect((await route.chat(chatRequest, callContext())).provider).toBe('spare');
    const context = callContext();
    expect((await route.chat(chatRequest, context)).provider).toBe('spare');
    expect(context.attempts[0]).toMatchObject({ provider: 'capped', kind: 'skipped' });
    expect(capped.calls).toHaveLength(1);
  });

  it('settles a stream with the usage of its last frame, or the content frames it saw', async () => {
    const usage = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };
    const metered = scriptedProvider('metered', [
      { kind: 'stream', frames: [chunk({ content: 'a' }), { ...chunk({}, 'stop'), usage }] },
      { kind: 'stream', frames: [chunk({ content: 'a' }), chunk({ content: 'b' })], then: 'stall' },
    ]);
    const { gate, settled } = allowanceGate({ metered: 5 });
    const route = routes({ ...model('single', ['metered']), retry: undefined }, [metered], gate);
    await collect(await route.streamChat(chatRequest, callContext()));
    const abort = new AbortController();
    const stream = await route.streamChat(chatRequest, callContext(abort.signal));
    const iterator = stream.chunks[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    await iterator.return?.();
    expect(settled.map((entry) => [entry.usage?.totalTokens ?? null, entry.streamed])).toEqual([[10, 0], [null, 2]]);
  });

  it('leaves targets no cap covers unwrapped, so they reserve nothing', async () => {
    const free = scriptedProvider('free');
    const { gate, reserved } = allowanceGate({});
    await routes(model('single', ['free']), [free], gate).chat(chatRequest, callContext());
    expect(reserved).toHaveLength(0);
  });
});
