import { AllAttemptsFailedError } from '../core/index.js';
import type { CallContext, ChatRequest, ChatStream, Provider } from '../core/index.js';
import { systemClock } from '../lib/index.js';
import type { Clock } from '../lib/index.js';
import { hookStream } from './hook-stream.js';
import { TimeLimit, childAbort } from './route-helpers.js';
import type { ChildAbort } from './route-helpers.js';

/**
 * The whole request's deadline: every call below gets a signal that aborts after `timeoutMs`
 * (and a `deadline` retries respect). On expiry the caller gets a 504 listing the attempts made,
 * even if something below ignores its signal; a stream that outlives the deadline is ended.
 */
export function withTimeout(route: Provider, timeoutMs: number, clock: Clock = systemClock): Provider {
  function start(context: CallContext): { limit: TimeLimit; attempt: ChildAbort; inner: CallContext } {
    const attempt = childAbort(context.signal);
    const limit = new TimeLimit(clock, timeoutMs, () => {
      const error = new AllAttemptsFailedError('provider_timeout',
        `No answer for model "${route.name}" within the request's ${timeoutMs} ms timeout (${context.attempts.length} attempt(s)).`,
        context.attempts, []);
      attempt.abort(error);
      return error;
    });
    const deadline = Math.min(context.deadline ?? Number.POSITIVE_INFINITY, clock.now() + timeoutMs);
    return { limit, attempt, inner: { ...context, signal: attempt.signal, deadline } };
  }

  async function bounded<T>(context: CallContext, call: (inner: CallContext) => Promise<T>): Promise<T> {
    const { limit, attempt, inner } = start(context);
    try {
      return await limit.race(call(inner));
    } finally {
      limit.cancel();
      attempt.detach();
    }
  }

  return {
    name: route.name,
    chat: (request: ChatRequest, context: CallContext) => bounded(context, (inner) => route.chat(request, inner)),
    embed: (request, context) => bounded(context, (inner) => route.embed(request, inner)),
    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      const { limit, attempt, inner } = start(context);
      let stream: ChatStream;
      try {
        stream = await limit.race(route.streamChat(request, inner));
      } catch (error) {
        limit.cancel();
        attempt.detach();
        throw error;
      }
      return {
        ...stream,
        chunks: hookStream(stream.chunks[Symbol.asyncIterator](), {
          expired: limit.expired,
          onEnd: () => {
            limit.cancel();
            attempt.detach();
          },
        }),
      };
    },
  };
}
