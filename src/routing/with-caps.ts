import { convertWireUsage } from '../core/index.js';
import type {
  AttemptRecord, CallContext, CapCall, CapGate, CapHold, CapTarget, ChatRequest, ChatStream, EmbeddingsRequest, Provider,
  StreamChunk, Usage,
} from '../core/index.js';
import { hasContent } from '../core/index.js';
import { CapReachedError } from './circuit-open-error.js';

/**
 * Reserves each call's worst case against the target's caps (provider, public model, target)
 * before it goes upstream and settles it to the real usage afterwards. A target whose cap would
 * be passed is skipped like an open circuit (CapReachedError), so fallbacks and load balancing
 * move on; the skip is written into the attempt trail with the cap that caused it.
 *
 * Composed outside the circuit breaker: a capped target must not spend a half-open probe.
 */
export function withCaps(route: Provider, target: CapTarget, gate: CapGate): Provider {
  async function reserve(call: CapCall, context: CallContext): Promise<CapHold> {
    const decision = await gate.reserve(target, call, context.requestId);
    if (decision.granted) return decision.hold;
    const { refusal } = decision;
    const skipped: AttemptRecord = {
      provider: target.provider, model: target.model, startedAt: Date.now(), durationMs: 0, status: null,
      errorCode: 'provider_cap_reached', errorMessage: refusal.message, kind: 'skipped', cap: refusal.cap,
    };
    context.attempts.push(skipped);
    throw new CapReachedError(target.provider, target.model, refusal.cap, refusal.retryAfterMs, refusal.message);
  }

  async function settled<T extends { usage: Usage | null }>(hold: CapHold, work: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await work;
    } catch (error) {
      // Failed before any answer: nothing was used beyond the request itself.
      void hold.settle(null, 0);
      throw error;
    }
    void hold.settle(result.usage, 0);
    return result;
  }

  return {
    name: route.name,
    async chat(request: ChatRequest, context: CallContext) {
      const hold = await reserve({ kind: 'chat', request }, context);
      return settled(hold, route.chat(request, context));
    },
    async embed(request: EmbeddingsRequest, context: CallContext) {
      const hold = await reserve({ kind: 'embeddings', request }, context);
      return settled(hold, route.embed(request, context));
    },
    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      const hold = await reserve({ kind: 'chat', request }, context);
      let stream: ChatStream;
      try {
        stream = await route.streamChat(request, context);
      } catch (error) {
        void hold.settle(null, 0);
        throw error;
      }
      return { ...stream, chunks: metered(stream.chunks, hold) };
    },
  };
}

/** Passes the stream through and settles the hold once it ends, with its usage or the content chunks seen. */
async function* metered(chunks: AsyncIterable<StreamChunk>, hold: CapHold): AsyncGenerator<StreamChunk> {
  let usage: Usage | null = null;
  let contentChunks = 0;
  try {
    for await (const item of chunks) {
      if (item.chunk.usage) usage = convertWireUsage(item.chunk.usage);
      else if (hasContent(item.chunk)) contentChunks++;
      yield item;
    }
  } finally {
    // Without usage (failed or abandoned), each content chunk counts as one output token, as for key budgets.
    void hold.settle(usage, usage === null ? contentChunks : 0);
  }
}
