import type { CallContext, ChatRequest, ChatStream, Provider } from '../core/index.js';
import type { ConcurrencyLimiter } from './concurrency-limiter.js';
import { onStreamEnd } from './route-helpers.js';

/**
 * Holds one of the provider's slots for each call: until the answer is read, and for a stream
 * until it completes, fails or is abandoned by the client.
 */
export function withConcurrencyLimit(route: Provider, limiter: ConcurrencyLimiter): Provider {
  async function limited<T>(context: CallContext, call: () => Promise<T>): Promise<T> {
    const release = await limiter.acquire(context.signal);
    try {
      return await call();
    } finally {
      release();
    }
  }

  return {
    name: route.name,
    chat: (request: ChatRequest, context: CallContext) => limited(context, () => route.chat(request, context)),
    embed: (request, context) => limited(context, () => route.embed(request, context)),
    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      const release = await limiter.acquire(context.signal);
      let stream: ChatStream;
      try {
        stream = await route.streamChat(request, context);
      } catch (error) {
        release();
        throw error;
      }
      return onStreamEnd(stream, release);
    },
  };
}
