import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk, ChatResult, ChatStream, StreamChunk } from '../core/index.js';
import { Coalescer } from './flight.js';

const chunk = (content: string, finish: 'stop' | null = null): StreamChunk => ({
  chunk: { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 5, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] } satisfies ChatCompletionChunk,
});

/** An upstream stream the test feeds by hand; it ends (or fails) when the flight's signal aborts. */
function manualStream() {
  const queue: StreamChunk[] = [];
  let wake: (() => void) | null = null;
  let ended = false;
  let seenSignal: AbortSignal | null = null;
  const start = async (signal: AbortSignal): Promise<ChatStream> => {
    seenSignal = signal;
    signal.addEventListener('abort', () => wake?.());
    return {
      provider: 'p', model: 'm',
      chunks: (async function* () {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          if (ended) return;
          if (signal.aborted) throw signal.reason;
          await new Promise<void>((resolve) => { wake = resolve; });
        }
      })(),
    };
  };
  return {
    start,
    push(item: StreamChunk) { queue.push(item); wake?.(); },
    end() { ended = true; wake?.(); },
    get signal() { return seenSignal; },
  };
}

async function collect(stream: ChatStream): Promise<string> {
  let text = '';
  for await (const item of stream.chunks) text += item.chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('coalescing (single flight)', () => {
  it('followers of a stream flight get the same events, and the leader leaving does not cancel the call', async () => {
    const coalescer = new Coalescer({ maxWaiters: 10 });
    const upstream = manualStream();
    const leader = new AbortController();
    const flight = coalescer.lead('k', 'stream', upstream.start);
    const leaderStream = await flight.join(leader.signal, 'stream');
    const follower = await coalescer.find('k')!.join(new AbortController().signal, 'stream');
    const jsonFollower = coalescer.find('k')!.join(new AbortController().signal, 'json');
    upstream.push(chunk('Hel'));
    const leaderIterator = (leaderStream as ChatStream).chunks[Symbol.asyncIterator]();
    expect((await leaderIterator.next()).value?.chunk.choices[0]?.delta.content).toBe('Hel');
    leader.abort();
    await leaderIterator.return?.();
    upstream.push(chunk('lo'));
    upstream.push(chunk('', 'stop'));
    upstream.end();
    expect(await collect(follower as ChatStream)).toBe('Hello');
    const json = (await jsonFollower) as ChatResult;
    expect(json.readCompletion()).toMatchObject({ id: 'chatcmpl-1', created: 5, choices: [{ message: { content: 'Hello' }, finish_reason: 'stop' }] });
    expect(upstream.signal?.aborted).toBe(false);
    // A finished flight stays joinable until the cache has stored its answer and forgets it.
    expect(coalescer.find('k')).toBe(flight);
    coalescer.forget('k', flight);
    expect(coalescer.size).toBe(0);
  });

  it('the upstream call is cancelled once every participant has gone', async () => {
    const coalescer = new Coalescer({ maxWaiters: 10 });
    const upstream = manualStream();
    const first = new AbortController();
    const second = new AbortController();
    const flight = coalescer.lead('k', 'stream', upstream.start);
    const one = flight.join(first.signal, 'stream');
    const two = flight.join(second.signal, 'json');
    await one;
    first.abort();
    expect(upstream.signal?.aborted).toBe(false);
    second.abort();
    await expect(two).rejects.toBeDefined();
    expect(upstream.signal?.aborted).toBe(true);
    await expect(flight.outcome()).rejects.toBeDefined();
    expect(coalescer.size).toBe(0);
  });

  it('an error reaches every waiter, and the key is free again for the next request', async () => {
    const coalescer = new Coalescer({ maxWaiters: 10 });
    const failure = new Error('upstream 500');
    const flight = coalescer.lead('k', 'json', async () => { throw failure; });
    const waiters = [flight.join(new AbortController().signal, 'json'), flight.join(new AbortController().signal, 'stream')];
    for (const waiter of waiters) await expect(waiter).rejects.toBe(failure);
    expect(coalescer.find('k')).toBeUndefined();
  });

  it('past max_waiters a new request is not merged', async () => {
    const coalescer = new Coalescer({ maxWaiters: 1 });
    const upstream = manualStream();
    const flight = coalescer.lead('k', 'stream', upstream.start);
    void flight.join(new AbortController().signal, 'stream');
    void coalescer.find('k')!.join(new AbortController().signal, 'stream');
    expect(coalescer.find('k')).toBeUndefined();
    upstream.end();
  });
});
