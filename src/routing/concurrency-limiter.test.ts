import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { ProviderBusyError } from './provider-busy-error.js';

describe('ConcurrencyLimiter', () => {
  const never = new AbortController().signal;

  it('grants up to the limit at once and hands a freed slot to the oldest waiter first', async () => {
    const clock = new ManualClock();
    const limiter = new ConcurrencyLimiter({ provider: 'p', limit: 2, maxWaitMs: 1000, clock });
    const first = await limiter.acquire(never);
    await limiter.acquire(never);
    const order: string[] = [];
    const a = limiter.acquire(never).then((release) => { order.push('a'); return release; });
    const b = limiter.acquire(never).then((release) => { order.push('b'); return release; });
    expect(limiter.queued).toBe(2);
    first();
    first(); // releasing twice frees one slot only
    await a;
    expect(order).toEqual(['a']);
    expect(limiter.inFlight).toBe(2);
    (await a)();
    await b;
    expect(order).toEqual(['a', 'b']);
  });

  it('a waiter that gets no slot within the queue wait fails with provider_overloaded and leaves the queue', async () => {
    const clock = new ManualClock();
    const limiter = new ConcurrencyLimiter({ provider: 'p', limit: 1, maxWaitMs: 500, clock });
    await limiter.acquire(never);
    const waiting = limiter.acquire(never);
    const outcome = waiting.then(() => 'granted', (error: unknown) => error);
    await clock.advance(499);
    expect(limiter.queued).toBe(1);
    await clock.advance(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(ProviderBusyError);
    expect(error).toMatchObject({ code: 'provider_overloaded', status: 503 });
    expect(limiter.queued).toBe(0);
  });

  it('a caller that goes away while waiting leaves the queue at once', async () => {
    const clock = new ManualClock();
    const limiter = new ConcurrencyLimiter({ provider: 'p', limit: 1, maxWaitMs: 5000, clock });
    const release = await limiter.acquire(never);
    const controller = new AbortController();
    const outcome = limiter.acquire(controller.signal).then(() => 'granted', () => 'aborted');
    controller.abort();
    expect(await outcome).toBe('aborted');
    expect(limiter.queued).toBe(0);
    release();
    expect(limiter.inFlight).toBe(0);
  });
});
