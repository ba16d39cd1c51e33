import { GatewayError, ProviderError } from '../core/index.js';
import type {
  AttemptRecord, CallContext, ChatRequest, ChatResult, ChatStream, EmbeddingsRequest, EmbeddingsResult, Provider,
  StreamChunk,
} from '../core/index.js';

export interface Target {
  provider: Provider;
  /** The model id the upstream knows. */
  model: string;
}

/**
 * The leaf of every route: sends the request to one provider under the target's model name and
 * records the attempt in the call's trail.
 */
export function withTarget(target: Target): Provider {
  const { provider, model } = target;

  function begin(context: CallContext): AttemptRecord {
    const attempt: AttemptRecord = {
      provider: provider.name, model, startedAt: Date.now(), durationMs: 0, status: null, errorCode: null, errorMessage: null,
      kind: context.attemptKind ?? 'first',
    };
    context.attempts.push(attempt);
    return attempt;
  }

  return {
    name: `${provider.name}/${model}`,

    async chat(request: ChatRequest, context: CallContext): Promise<ChatResult> {
      const attempt = begin(context);
      try {
        const result = await provider.chat({ ...request, model }, context);
        finish(attempt, null);
        return result;
      } catch (error) {
        finish(attempt, error);
        throw error;
      }
    },

    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      const attempt = begin(context);
      try {
        const stream = await provider.streamChat({ ...request, model }, context);
        attempt.status = 200;
        // Until the stream ends, its duration is the time to the upstream's headers.
        attempt.durationMs = Date.now() - attempt.startedAt;
        return { ...stream, chunks: trackStream(stream.chunks, attempt) };
      } catch (error) {
        finish(attempt, error);
        throw error;
      }
    },

    async embed(request: EmbeddingsRequest, context: CallContext): Promise<EmbeddingsResult> {
      const attempt = begin(context);
      try {
        const result = await provider.embed({ ...request, model }, context);
        finish(attempt, null);
        return result;
      } catch (error) {
        finish(attempt, error);
        throw error;
      }
    },
  };
}

async function* trackStream(chunks: AsyncIterable<StreamChunk>, attempt: AttemptRecord): AsyncGenerator<StreamChunk> {
  let failure: unknown = null;
  try {
    yield* chunks;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    finish(attempt, failure);
  }
}

function finish(attempt: AttemptRecord, error: unknown): void {
  attempt.durationMs = Date.now() - attempt.startedAt;
  if (error === null) {
    attempt.status ??= 200;
    return;
  }
  if (error instanceof ProviderError) attempt.status = error.upstreamStatus;
  attempt.errorCode = error instanceof GatewayError ? error.code : 'internal_error';
  attempt.errorMessage = error instanceof Error ? error.message : String(error);
}
