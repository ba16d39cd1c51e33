import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { callContext, chatRequest, providerError, scriptedProvider } from '../../test/support/scripted-provider.js';
import type { Step } from '../../test/support/scripted-provider.js';
import { retryDelay, withRetry } from './with-retry.js';
import { withTarget } from './with-target.js';

const settings = { maxAttempts: 3, initialDelayMs: 200, maxDelayMs: 8000, multiplier: 2 };

describe('retryDelay', () => {
  it('uses full jitter under an exponential ceiling', () => {
    expect(retryDelay(1, settings, () => 0.999, null)).toBe(199);
    expect(retryDelay(3, settings, () => 0.5, null)).toBe(400);
    expect(retryDelay(10, settings, () => 0.999, null)).toBe(7992);
    expect(retryDelay(2, settings, () => 0, null)).toBe(0);
  });

  it('waits at least the retry-after, and gives up when it is longer than the max delay', () => {
    expect(retryDelay(1, settings, () => 0, 1500)).toBe(1500);
    expect(retryDelay(1, settings, () => 0, 9000)).toBeNull();
  });
});

describe('withRetry', () => {
  it('retries a 429 after its retry-after, then succeeds', async () => {
    const clock = new ManualClock();
    const upstream = scriptedProvider('up', [{ kind: 'fail', error: providerError('provider_rate_limited', 429, { retryAfterMs: 1000 }) }]);
    const route = withRetry(withTarget({ provider: upstream, model: 'm' }), settings, { clock, random: () => 0 });
    const context = callContext();
    const pending = route.chat(chatRequest, context);
    await clock.advance(999);
    expect(upstream.calls).toHaveLength(1);
    await clock.advance(1);
    const result = await pending;
    expect(result.readCompletion().choices[0]?.message.content).toBe('up answered');
    expect(upstream.calls).toHaveLength(2);
    expect(context.attempts.map((attempt) => [attempt.kind, attempt.status, attempt.errorCode])).toEqual([
      ['first', 429, 'provider_rate_limited'], ['retry', 200, null],
    ]);
  });

  it('never retries a 400', async () => {
    const upstream = scriptedProvider('up', [{ kind: 'fail', error: providerError('provider_error', 400, { retryable: false }) }]);
    const route = withRetry(withTarget({ provider: upstream, model: 'm' }), settings, { clock: new ManualClock() });
    await expect(route.chat(chatRequest, callContext())).rejects.toMatchObject({ status: 400 });
    expect(upstream.calls).toHaveLength(1);
  });

  it('stops after max_attempts calls', async () => {
    const clock = new ManualClock();
    const failure: Step = { kind: 'fail', error: providerError('provider_error', 500) };
    const upstream = scriptedProvider('up', [failure, failure, failure, failure]);
    const route = withRetry(upstream, settings, { clock, random: () => 1 });
    const pending = route.chat(chatRequest, callContext());
    pending.catch(() => undefined);
    await clock.advance(10_000);
    await expect(pending).rejects.toMatchObject({ code: 'provider_error' });
    expect(upstream.calls).toHaveLength(3);
  });

  it('does not start a retry whose wait would pass the deadline', async () => {
    const clock = new ManualClock();
    const upstream = scriptedProvider('up', [{ kind: 'fail', error: providerError('provider_rate_limited', 429, { retryAfterMs: 5000 }) }]);
    const route = withRetry(upstream, settings, { clock, random: () => 0 });
    const context = { ...callContext(), deadline: clock.now() + 3000 };
    await expect(route.chat(chatRequest, context)).rejects.toMatchObject({ code: 'provider_rate_limited' });
    expect(upstream.calls).toHaveLength(1);
  });

  it('stops waiting when the request is aborted', async () => {
    const clock = new ManualClock();
    const upstream = scriptedProvider('up', [{ kind: 'fail', error: providerError('provider_error', 503) }]);
    const route = withRetry(upstream, settings, { clock, random: () => 0.5 });
    const controller = new AbortController();
    const pending = route.chat(chatRequest, callContext(controller.signal));
    pending.catch(() => undefined);
    await clock.advance(10);
    controller.abort(new Error('client left'));
    await expect(pending).rejects.toThrow('client left');
    expect(upstream.calls).toHaveLength(1);
  });
});
