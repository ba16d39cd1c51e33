import { GatewayError, convertWireUsage, hasContent } from '../core/index.js';
import type { ChatRequest, ChatResult, ChatStream, IngressRequest, StreamChunk, Usage } from '../core/index.js';
import { OPEN_ADMISSION, estimateChatInput } from '../policies/index.js';
import type { Admission, PolicyGate } from '../policies/index.js';
import type { ModelRegistry } from '../routing/index.js';
import { admitRequest } from './admit-request.js';
import { applyModelExperiment } from './apply-experiment.js';
import type { ExperimentAssigner } from './apply-experiment.js';
import type { LifecycleSettings, RequestLifecycle } from './request-lifecycle.js';

export interface InferenceDependencies extends LifecycleSettings {
  models: ModelRegistry;
  /** Rate limits, quotas and budgets; `OPEN_POLICY_GATE` when none apply. */
  policies: PolicyGate;
  /** A/B experiments on public models; absent when there are none. */
  experiments?: ExperimentAssigner | undefined;
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
  requested: ChatRequest,
  options: ChatCompletionOptions = {},
): Promise<ChatOutcome> {
  const streaming = requested.stream === true;
  // The variant may send the request to another model or with other parameters; the log and the
  // key's admission keep the model the client asked for (the experiment's target).
  const request = applyModelExperiment(dependencies.experiments, lifecycle, requested);
  lifecycle.describe({ kind: 'chat', body: request }, requested.model, streaming);
  const callContext = lifecycle.callContext(options.ingress);
  let admission: Admission = OPEN_ADMISSION;
  try {
    const route = dependencies.models.resolve(request.model);
    if (route === null) throw modelNotFound(request.model);
    admission = await admitRequest(dependencies.policies, lifecycle, requested.model, () => estimateChatInput(request),
      request.max_completion_tokens ?? request.max_tokens ?? null);
    lifecycle.rateLimitHeaders = admission.headers;
    // Settlements below run off the response path: until one lands, its reservation still counts.
    if (!streaming) {
      const result = await route.chat(request, callContext);
      void admission.settle({ usage: result.usage, provider: result.provider, providerModel: result.model, streamedOutputTokens: 0 });
      lifecycle.provider = result.provider;
      lifecycle.providerModel = result.model;
      const recorded = {
        provider: result.provider,
        model: result.model,
        usage: result.usage,
        output: () => completionText(result),
        responseBody: () => result.body ?? JSON.stringify(result.readCompletion()),
      };
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
    void admission.settle({ usage: null, provider: last?.provider ?? null, providerModel: last?.model ?? null, streamedOutputTokens: 0 });
    lifecycle.fail(error);
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
    lifecycle.fail(error, result());
    throw error;
  } finally {
    // Without usage (failed or abandoned), each content chunk counts as one output token.
    void admission.settle({ usage, provider: stream.provider, providerModel: stream.model, streamedOutputTokens: contentChunks });
    if (outcome === 'completed' && stream.staticFallback !== undefined) lifecycle.staticFallback(stream.staticFallback.error, result());
    else if (outcome === 'completed') lifecycle.succeed(result());
    else if (outcome === 'abandoned') lifecycle.abandon(result());
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
