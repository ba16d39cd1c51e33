import { GatewayError, convertWireUsage, hasContent } from '../core/index.js';
import type { ChatRequest, ChatResult, ChatStream, IngressRequest, StreamChunk, Usage } from '../core/index.js';
import { OPEN_ADMISSION, estimateChatInput } from '../policies/index.js';
import type { Admission, PolicyGate } from '../policies/index.js';
import type { ModelRegistry } from '../routing/index.js';
import { admitRequest } from './admit-request.js';
import type { LifecycleSettings, RecordedResult, RequestLifecycle } from './request-lifecycle.js';

export interface InferenceDependencies extends LifecycleSettings {
  models: ModelRegistry;
  /** Rate limits, quotas and budgets; `OPEN_POLICY_GATE` when none apply. */
  policies: PolicyGate;
}

export type ChatOutcome = { kind: 'completion'; result: ChatResult } | { kind: 'stream'; stream: ChatStream };

export interface ChatCompletionOptions {
  /** The body as sent to a non-OpenAI entrance, for adapters that speak its format natively. */
  ingress?: IngressRequest | undefined;
}

/**
 * Routes one chat completion. The lifecycle ends here for a JSON answer or a failure, and when
 * the returned stream finishes, fails or is abandoned for a stream.
 */
export async function handleChatCompletion(
  dependencies: InferenceDependencies,
  lifecycle: RequestLifecycle,
  request: ChatRequest,
  options: ChatCompletionOptions = {},
): Promise<ChatOutcome> {
  const streaming = request.stream === true;
  lifecycle.describe({ kind: 'chat', body: request }, request.model, streaming);
  const callContext = lifecycle.callContext(options.ingress);
  let admission: Admission = OPEN_ADMISSION;
  try {
    const route = dependencies.models.resolve(request.model);
    if (route === null) throw modelNotFound(request.model);
    admission = await admitRequest(dependencies.policies, lifecycle, request.model, () => estimateChatInput(request),
      request.max_completion_tokens ?? request.max_tokens ?? null);
    lifecycle.rateLimitHeaders = admission.headers;
    // Settlements below run off the response path: until one lands, its reservation still counts.
    if (!streaming) {
      const result = await route.chat(request, callContext);
      lifecycle.provider = result.provider;
      lifecycle.providerModel = result.model;
      const answered: RecordedResult = {
        provider: result.provider,
        model: result.model,
        usage: result.usage,
        output: () => completionText(result),
        responseBody: () => result.body ?? JSON.stringify(result.readCompletion()),
      };
      // An answer without usage is charged and logged at the same estimate; a static fallback
      // answer cost nothing upstream.
      const billed = result.staticFallback === undefined ? lifecycle.billedUsage(answered) : { usage: result.usage, estimated: false };
      const recorded = { ...answered, usage: billed.usage, usageEstimated: billed.estimated };
      void admission.settle({ usage: billed.usage, provider: result.provider, providerModel: result.model, streamedOutputTokens: 0 });
      if (result.staticFallback !== undefined) lifecycle.staticFallback(result.staticFallback.error, recorded);
      else lifecycle.succeed(recorded);
      return { kind: 'completion', result };
    }
    const stream = await route.streamChat(request, callContext);
    lifecycle.provider = stream.provider;
    lifecycle.providerModel = stream.model;
    return { kind: 'stream', stream: { ...stream, chunks: observeStream(stream, lifecycle, admission) } };
  } catch (error) {
    const last = lifecycle.attempts[lifecycle.attempts.length - 1];
    // A call that went out and was then abandoned (the client left) is charged its prompt at
    // least: the upstream may bill it. Upstream failures are not billed by upstreams.
    const abandoned = error instanceof GatewayError && error.code === 'client_closed' && last !== undefined;
    const billed = abandoned ? lifecycle.billedUsage(null) : { usage: null, estimated: false };
    void admission.settle({ usage: billed.usage, provider: last?.provider ?? null, providerModel: last?.model ?? null, streamedOutputTokens: 0 });
    lifecycle.fail(error, billed.usage === null || last === undefined
      ? null
      : { provider: last.provider, model: last.model, usage: billed.usage, usageEstimated: billed.estimated });
    throw error;
  }
}

export function modelNotFound(model: string): GatewayError {
  return new GatewayError('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, {
    param: 'model',
  });
}

/** Watches a stream go by: first token, usage, text for estimates; settles and ends the lifecycle when it stops. */
async function* observeStream(stream: ChatStream, lifecycle: RequestLifecycle, admission: Admission): AsyncGenerator<StreamChunk> {
  let usage: Usage | null = null;
  let contentChunks = 0;
  let outcome: 'completed' | 'failed' | 'abandoned' = 'abandoned';
  let failure: unknown = null;
  // Text pieces are kept by reference (cheap) for a token estimate or body logging at the end.
  const pieces: string[] = [];
  const result = () => ({ provider: stream.provider, model: stream.model, usage, output: () => pieces.join('') });
  let count = 0;
  try {
    for await (const item of stream.chunks) {
      count += 1;
      if (item.chunk.usage) usage = convertWireUsage(item.chunk.usage);
      if (hasContent(item.chunk)) {
        lifecycle.markFirstToken();
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
    failure = error;
    throw error;
  } finally {
    // Without usage (failed or abandoned), what was sent and streamed is estimated: the budget is
    // charged and the log records the same figure, flagged as estimated.
    const billed = stream.staticFallback === undefined ? lifecycle.billedUsage(result()) : { usage, estimated: false };
    const recorded: RecordedResult = { ...result(), usage: billed.usage, usageEstimated: billed.estimated };
    void admission.settle({ usage: billed.usage, provider: stream.provider, providerModel: stream.model, streamedOutputTokens: contentChunks });
    if (outcome === 'completed' && stream.staticFallback !== undefined) lifecycle.staticFallback(stream.staticFallback.error, recorded);
    else if (outcome === 'completed') lifecycle.succeed(recorded);
    else if (outcome === 'failed') lifecycle.fail(failure, recorded);
    else lifecycle.abandon(recorded);
  }
}

/** The answer's text, for a token estimate when the upstream reported no usage. */
function completionText(result: ChatResult): string {
  let text = '';
  for (const choice of result.readCompletion().choices) {
    if (typeof choice.message.content === 'string') text += choice.message.content;
    if (choice.message.tool_calls !== undefined) text += JSON.stringify(choice.message.tool_calls);
  }
  return text;
}
