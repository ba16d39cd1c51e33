import { ProviderError, hasContent } from '../core/index.js';
import type { CallContext, ChatRequest, ChatStream, Provider, StreamChunk } from '../core/index.js';
import { systemClock } from '../lib/index.js';
import type { Clock } from '../lib/index.js';
import { IdleWatch, hookStream } from './hook-stream.js';
import { TimeLimit, childAbort } from './route-helpers.js';
import type { ChildAbort } from './route-helpers.js';

export interface StreamCommitSettings {
  /** Time from the call to the first content (text, refusal or tool call); none when null. */
  firstTokenTimeoutMs?: number | null | undefined;
  /** Longest silence between two chunks once the stream has started; none when null. */
  idleTimeoutMs?: number | null | undefined;
  clock?: Clock | undefined;
}

/**
 * The stream commit point. `streamChat` resolves only once the upstream has produced real content,
 * holding back the frames before it (role-only deltas and the like), so any failure before content,
 * including an upstream that sends headers and then nothing within `firstTokenTimeoutMs`, is thrown
 * by `streamChat` itself, where retries and fallbacks can still act. The returned stream replays
 * the held frames, then follows the upstream; a failure after that ends the stream.
 */
export function withStreamCommit(route: Provider, settings: StreamCommitSettings): Provider {
  const clock = settings.clock ?? systemClock;
  const firstTokenTimeoutMs = settings.firstTokenTimeoutMs ?? null;
  const idleTimeoutMs = settings.idleTimeoutMs ?? null;

  function timeout(what: string, milliseconds: number): ProviderError {
    return new ProviderError('provider_timeout', `${route.name}: ${what} within ${milliseconds} ms`, {
      provider: route.name, upstreamStatus: null, retryable: true,
    });
  }

  async function streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
    // Without timeouts nothing here aborts the upstream on its own: no child signal to pay for.
    const attempt = firstTokenTimeoutMs === null && idleTimeoutMs === null ? followParent(context.signal) : childAbort(context.signal);
    const limit = firstTokenTimeoutMs === null ? null : new TimeLimit(clock, firstTokenTimeoutMs, () => {
      const error = timeout('no output', firstTokenTimeoutMs);
      attempt.abort(error);
      return error;
    });
    const bounded = <T>(work: Promise<T>): Promise<T> => (limit === null ? work : limit.race(work));
    const held: StreamChunk[] = [];
    let iterator: AsyncIterator<StreamChunk> | null = null;
    try {
      const stream = await bounded(route.streamChat(request, attempt.signal === context.signal ? context : { ...context, signal: attempt.signal }));
      iterator = stream.chunks[Symbol.asyncIterator]();
      for (;;) {
        const next = await bounded(iterator.next());
        if (next.done === true) break;
        held.push(next.value);
        if (hasContent(next.value.chunk)) break;
      }
      limit?.cancel();
      return { ...stream, chunks: follow(held, iterator, attempt, idleTimeoutMs) };
    } catch (error) {
      limit?.cancel();
      attempt.abort(error);
      attempt.detach();
      if (iterator !== null) void Promise.resolve(iterator.return?.()).catch(() => undefined);
      throw error;
    }
  }

  function follow(
    held: StreamChunk[], iterator: AsyncIterator<StreamChunk>, attempt: ChildAbort, idleMs: number | null,
  ): AsyncIterableIterator<StreamChunk> {
    const watch = idleMs === null ? null : new IdleWatch(clock, idleMs, () => {
      const error = timeout('no chunk', idleMs);
      attempt.abort(error);
      return error;
    });
    return hookStream(iterator, {
      held,
      expired: watch?.expired,
      beforePull: watch === null ? undefined : () => watch.start(),
      afterPull: watch === null ? undefined : () => watch.stop(),
      onEnd: () => {
        watch?.cancel();
        attempt.detach();
      },
    });
  }

  return {
    name: route.name,
    chat: (request, context) => route.chat(request, context),
    streamChat,
    embed: (request, context) => route.embed(request, context),
  };
}

/** The parent's own signal, for a stream with no timeouts of its own (failures end it through its iterator). */
function followParent(signal: AbortSignal): ChildAbort {
  return { signal, abort: () => undefined, detach: () => undefined };
}
