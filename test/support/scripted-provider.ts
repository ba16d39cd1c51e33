import { ProviderError } from '../../src/core/index.js';
import type {
  CallContext, ChatCompletion, ChatCompletionChunk, ChatRequest, ChatResult, ChatStream, EmbeddingsResult, Provider, StreamChunk,
} from '../../src/core/index.js';

/** What one call to a scripted provider does. */
export type Step =
  | { kind: 'answer'; text?: string }
  | { kind: 'fail'; error: ProviderError }
  /** Never answers; rejects with the signal's reason when aborted. */
  | { kind: 'hang' }
  /** A stream: these frames, then the end, a stall (until aborted) or an error. */
  | { kind: 'stream'; frames: ChatCompletionChunk[]; then?: 'end' | 'stall' | ProviderError };

export interface ScriptedProvider extends Provider {
  /** Requests received, in order, with the signal each call got. */
  readonly calls: Array<{ model: string; signal: AbortSignal }>;
  /** Steps still to play; when empty every call answers. */
  readonly steps: Step[];
}

export function providerError(code: 'provider_error' | 'provider_rate_limited' | 'provider_timeout', status: number | null, options: {
  provider?: string; retryable?: boolean; retryAfterMs?: number; reason?: 'context_window_exceeded';
} = {}): ProviderError {
  return new ProviderError(code, `upstream said ${status ?? 'nothing'}`, {
    provider: options.provider ?? 'scripted',
    upstreamStatus: status,
    status: code === 'provider_error' && status !== null && status < 500 ? status : undefined,
    retryable: options.retryable ?? true,
    retryAfterMs: options.retryAfterMs ?? null,
    reason: options.reason ?? null,
  });
}

export function chunk(delta: ChatCompletionChunk['choices'][number]['delta'], finish: 'stop' | null = null): ChatCompletionChunk {
  return { id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] };
}

/** A fake upstream for unit tests of the routing wrappers; real upstreams are tested black-box. */
export function scriptedProvider(name: string, steps: Step[] = []): ScriptedProvider {
  const calls: Array<{ model: string; signal: AbortSignal }> = [];

  function waitForAbort(signal: AbortSignal): Promise<never> {
    return new Promise((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  function next(request: ChatRequest | { model: string }, context: CallContext): Step {
    calls.push({ model: request.model, signal: context.signal });
    return steps.shift() ?? { kind: 'answer' };
  }

  async function* play(step: Extract<Step, { kind: 'stream' }>, signal: AbortSignal): AsyncGenerator<StreamChunk> {
    for (const frame of step.frames) {
      if (signal.aborted) throw signal.reason;
      yield { chunk: frame };
    }
    if (step.then === 'stall') await waitForAbort(signal);
    if (step.then instanceof ProviderError) throw step.then;
  }

  return {
    name,
    calls,
    steps,
    async chat(request: ChatRequest, context: CallContext): Promise<ChatResult> {
      const step = next(request, context);
      if (step.kind === 'fail') throw step.error;
      if (step.kind === 'hang' || step.kind === 'stream') return waitForAbort(context.signal);
      const text = step.text ?? `${name} answered`;
      const completion: ChatCompletion = {
        id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: null }],
      };
      return {
        readCompletion: () => completion,
        usage: null,
        provider: name,
        model: request.model,
      };
    },
    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      const step = next(request, context);
      if (step.kind === 'fail') throw step.error;
      if (step.kind === 'hang') return waitForAbort(context.signal);
      const frames: Extract<Step, { kind: 'stream' }> = step.kind === 'stream' ? step : {
        kind: 'stream', frames: [chunk({ role: 'assistant' }), chunk({ content: step.text ?? `${name} answered` }), chunk({}, 'stop')],
      };
      return { provider: name, model: request.model, chunks: play(frames, context.signal) };
    },
    async embed(request, context): Promise<EmbeddingsResult> {
      next(request, context);
      throw new Error('not scripted');
    },
  };
}

export function callContext(signal: AbortSignal = new AbortController().signal): CallContext {
  return { requestId: 'req-test', signal, attempts: [] };
}

export const chatRequest: ChatRequest = { model: 'public', messages: [{ role: 'user', content: 'hi' }] };

export async function collect(stream: ChatStream): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const item of stream.chunks) chunks.push(item.chunk);
  return chunks;
}
