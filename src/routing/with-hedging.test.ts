import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { callContext, chatRequest, chunk, collect, providerError, scriptedProvider } from '../../test/support/scripted-provider.js';
import { withHedging } from './with-hedging.js';
import { withStreamCommit } from './with-stream-commit.js';
import { withTarget } from './with-target.js';

describe('withHedging', () => {
  it('starts the next target after hedge_after_ms and takes whichever produces content first', async () => {
    const clock = new ManualClock();
    const slow = scriptedProvider('slow', [{ kind: 'stream', frames: [chunk({ role: 'assistant' })], then: 'stall' }]);
    const quick = scriptedProvider('quick');
    const route = withHedging('public', [
      withStreamCommit(withTarget({ provider: slow, model: 'a' }), { clock }),
      withStreamCommit(withTarget({ provider: quick, model: 'b' }), { clock }),
    ], { hedgeAfterMs: 300, clock });
    const context = callContext();
    const pending = route.streamChat(chatRequest, context);
    await clock.advance(299);
    expect(quick.calls).toHaveLength(0);
    await clock.advance(1);
    const stream = await pending;
    expect(stream.provider).toBe('quick');
    expect((await collect(stream)).map((item) => item.choices[0]?.delta.content ?? null)).toEqual([null, 'quick answered', null]);
    expect(slow.calls[0]?.signal.aborted).toBe(true);
    await clock.advance(0);
    expect(context.attempts.map((attempt) => [attempt.provider, attempt.kind, attempt.errorCode])).toEqual([
      ['slow', 'first', 'client_closed'], ['quick', 'hedge', null],
    ]);
    expect(context.attempts[0]?.errorMessage).toContain('another hedged attempt');
  });

  it('keeps the primary when it answers before the hedge delay', async () => {
    const clock = new ManualClock();
    const primary = scriptedProvider('primary');
    const backup = scriptedProvider('backup');
    const route = withHedging('public', [primary, backup], { hedgeAfterMs: 300, clock });
    await expect(route.chat(chatRequest, callContext())).resolves.toMatchObject({ provider: 'primary' });
    await clock.advance(1000);
    expect(backup.calls).toHaveLength(0);
    expect(clock.pending).toBe(0);
  });

  it('starts the next target at once when one fails, and reports when all fail', async () => {
    const clock = new ManualClock();
    const first = scriptedProvider('first', [{ kind: 'fail', error: providerError('provider_timeout', null) }]);
    const second = scriptedProvider('second', [{ kind: 'fail', error: providerError('provider_timeout', 504) }]);
    const route = withHedging('public', [withTarget({ provider: first, model: 'a' }), withTarget({ provider: second, model: 'b' })], {
      hedgeAfterMs: 300, clock,
    });
    const context = callContext();
    await expect(route.chat(chatRequest, context)).rejects.toMatchObject({ code: 'provider_timeout', status: 504 });
    expect(context.attempts).toHaveLength(2);
  });

  it('does not hedge a request the client got wrong', async () => {
    const clock = new ManualClock();
    const first = scriptedProvider('first', [{ kind: 'fail', error: providerError('provider_error', 400, { retryable: false }) }]);
    const second = scriptedProvider('second');
    const route = withHedging('public', [first, second], { hedgeAfterMs: 300, clock });
    await expect(route.chat(chatRequest, callContext())).rejects.toMatchObject({ status: 400 });
    expect(second.calls).toHaveLength(0);
  });
});
