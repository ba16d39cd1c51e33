import { AllAttemptsFailedError } from '../core/index.js';
import type {
  CallContext, ChatCompletion, ChatCompletionChunk, ChatRequest, ChatResult, ChatStream, Provider, StaticFallback, StreamChunk,
} from '../core/index.js';
import { systemClock } from '../lib/index.js';
import type { Clock } from '../lib/index.js';

/**
 * A model's configured static answer (`fallback_response`): when every attempt failed, the client
 * gets this text as an ordinary completion (streamed when asked), marked `staticFallback` so the
 * HTTP layer sets `x-sluice-fallback: static` and the request log records the failure. Failures the
 * client must fix (a bad request) and a client that went away are not covered up.
 */
export function withStaticFallback(route: Provider, text: string, clock: Clock = systemClock): Provider {
  function covers(error: unknown, context: CallContext): boolean {
    return error instanceof AllAttemptsFailedError && !context.signal.aborted;
  }

  function completionId(context: CallContext): string {
    return `chatcmpl-sluice-fallback-${context.requestId}`;
  }

  return {
    name: route.name,
    embed: (request, context) => route.embed(request, context),

    async chat(request: ChatRequest, context: CallContext): Promise<ChatResult> {
      try {
        return await route.chat(request, context);
      } catch (error) {
        if (!covers(error, context)) throw error;
        const completion: ChatCompletion = {
          id: completionId(context),
          object: 'chat.completion',
          created: Math.floor(clock.now() / 1000),
          model: request.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        };
        const staticFallback: StaticFallback = { error };
        return { readCompletion: () => completion, usage: null, provider: 'sluice', model: 'fallback_response', staticFallback };
      }
    },

    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      try {
        return await route.streamChat(request, context);
      } catch (error) {
        if (!covers(error, context)) throw error;
        const base: Omit<ChatCompletionChunk, 'choices'> = {
          id: completionId(context), object: 'chat.completion.chunk', created: Math.floor(clock.now() / 1000), model: request.model,
        };
        const chunks: ChatCompletionChunk[] = [
          { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null }] },
          { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
          { ...base, choices: [], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } },
        ];
        return { provider: 'sluice', model: 'fallback_response', chunks: replay(chunks), staticFallback: { error } };
      }
    },
  };
}

async function* replay(chunks: ChatCompletionChunk[]): AsyncGenerator<StreamChunk> {
  for (const chunk of chunks) yield { chunk };
}
