import { GatewayError, convertWireUsage, hasContent } from '../core/index.js';
import type {
  AttemptRecord, CallContext, ChatRequest, ChatResult, ChatStream, EventSink, IngressRequest, StreamChunk, Usage,
} from '../core/index.js';
import { OPEN_ADMISSION, estimateChatInput } from '../policies/index.js';
import type { Admission, PolicyGate } from '../policies/index.js';
import type { Pricer } from '../pricing/index.js';
import type { ModelRegistry } from '../routing/index.js';
import { admitRequest } from './admit-request.js';
import type { RequestContext } from './request-context.js';
import { RequestRecorder } from './request-recorder.js';

export interface InferenceDependencies {
  models: ModelRegistry;
  events: EventSink;
  /** Rate limits, quotas and budgets; `OPEN_POLICY_GATE` when none apply. */
  policies: PolicyGate;
  /** Prices each call for the request log (and budgets); without it costs are 0. */
  pricer?: Pricer | undefined;
  /** `logging.log_bodies`: put the request and response bodies into the request-end summary. */
  logBodies?: boolean | undefined;
}

export type ChatOutcome =
  | { kind: 'completion'; result: ChatResult; attempts: AttemptRecord[]; rateLimitHeaders: Readonly<Record<string, string>> }
  | { kind: 'stream'; stream: ChatStream; attempts: AttemptRecord[]; rateLimitHeaders: Readonly<Record<string, string>> };

export interface ChatCompletionOptions {
  /** The body as sent to a non-OpenAI entrance, for adapters that speak its format natively. */
  ingress?: IngressRequest | undefined;
}

/** Routes one chat completion and reports what happened; streams report when they end. */
export async function handleChatCompletion(
  dependencies: InferenceDependencies,
  request: ChatRequest,
  context: RequestContext,
  options: ChatCompletionOptions = {},
): Promise<ChatOutcome> {
  const streaming = request.stream === true;
  const recorder = new RequestRecorder(context, dependencies.events, request.model, streaming, {
    pricer: dependencies.pricer, logBodies: dependencies.logBodies, request: { kind: 'chat', body: request },
  });
  const callContext: CallContext = {
    requestId: context.requestId, signal: context.signal, attempts: recorder.attempts, ingress: options.ingress,
  };
  let admission: Admission = OPEN_ADMISSION;
  try {
    const route = dependencies.models.resolve(request.model);
    if (route === null) throw modelNotFound(request.model);
    admission = await admitRequest(dependencies.policies, context, request.model, () => estimateChatInput(request),
      request.max_completion_tokens ?? request.max_tokens ?? null);
    const rateLimitHeaders = admission.headers;
    // Settlements below run off the response path: until one lands, its reservation still counts.
    if (!streaming) {
      const result = await route.chat(request, callContext);
      void admission.settle({ usage: result.usage, provider: result.provider, providerModel: result.model, streamedOutputTokens: 0 });
      if (result.staticFallback !== undefined) recorder.staticFallback(result.staticFallback.error, result);
      else {
        // Fields named one by one: spreading `result` would read its lazily checked completion.
        recorder.succeed({
          provider: result.provider,
          model: result.model,
          usage: result.usage,
          output: () => completionText(result),
          responseBody: () => result.body ?? JSON.stringify(result.completion),
        });
      }
      return { kind: 'completion', result, attempts: recorder.attempts, rateLimitHeaders };
    }
    const stream = await route.streamChat(request, callContext);
    return {
      kind: 'stream',
      stream: { ...stream, chunks: observeStream(stream, recorder, admission) },
      attempts: recorder.attempts,
      rateLimitHeaders,
    };
  } catch (error) {
    const last = recorder.attempts[recorder.attempts.length - 1];
    void admission.settle({ usage: null, provider: last?.provider ?? null, providerModel: last?.model ?? null, streamedOutputTokens: 0 });
    recorder.fail(error);
    throw error;
  }
}

export function modelNotFound(model: string): GatewayError {
  return new GatewayError('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, {
    param: 'model',
  });
}

async function* observeStream(stream: ChatStream, recorder: RequestRecorder, admission: Admission): AsyncGenerator<StreamChunk> {
  let usage: Usage | null = null;
  let contentChunks = 0;
  let outcome: 'completed' | 'failed' | 'abandoned' = 'abandoned';
  // Text pieces are kept by reference (cheap) for a token estimate or body logging at the end.
  const pieces: string[] = [];
  const result = () => ({ provider: stream.provider, model: stream.model, usage, output: () => pieces.join('') });
  let count = 0;
  try {
    for await (const item of stream.chunks) {
      count += 1;
      if (item.chunk.usage) usage = convertWireUsage(item.chunk.usage);
      if (hasContent(item.chunk)) {
        recorder.markFirstToken();
        contentChunks++;
        for (const choice of item.chunk.choices) {
          const content = choice.delta.content;
          if (typeof content === 'string') pieces.push(content);
          else if (choice.delta.tool_calls !== undefined) pieces.push(JSON.stringify(choice.delta.tool_calls));
        }
      }
      yield item;
    }
    if (count === 0) throw new GatewayError('provider_error', `${stream.provider} ended the stream without output`);
    outcome = 'completed';
  } catch (error) {
    outcome = 'failed';
    recorder.fail(error, result());
    throw error;
  } finally {
    // Without usage (failed or abandoned), each content chunk counts as one output token.
    void admission.settle({ usage, provider: stream.provider, providerModel: stream.model, streamedOutputTokens: contentChunks });
    if (outcome === 'completed' && stream.staticFallback !== undefined) recorder.staticFallback(stream.staticFallback.error, result());
    else if (outcome === 'completed') recorder.succeed(result());
    else if (outcome === 'abandoned') recorder.abandon(result());
  }
}

/** The answer's text, for a token estimate when the upstream reported no usage. */
function completionText(result: ChatResult): string {
  let text = '';
  for (const choice of result.completion.choices) {
    if (typeof choice.message.content === 'string') text += choice.message.content;
    if (choice.message.tool_calls !== undefined) text += JSON.stringify(choice.message.tool_calls);
  }
  return text;
}
