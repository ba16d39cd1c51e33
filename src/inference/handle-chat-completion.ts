import type { CacheControls, EmbeddingsCache, FlightOutcome, ResponseCache } from '../cache/index.js';
import { NO_CONTROLS } from '../cache/index.js';
import { GatewayError, convertWireUsage, hasContent } from '../core/index.js';
import type { CallContext, ChatRequest, ChatResult, ChatStream, IngressRequest, Provider, StreamChunk, Usage } from '../core/index.js';
import { OPEN_ADMISSION, estimateChatInput } from '../policies/index.js';
import type { Admission, PolicyGate } from '../policies/index.js';
import type { ModelRegistry } from '../routing/index.js';
import { admitRequest } from './admit-request.js';
import { applyModelExperiment } from './apply-experiment.js';
import type { ExperimentAssigner } from './apply-experiment.js';
import { healJsonAnswer } from './heal-json-answer.js';
import { checkCostBearingOptions } from './cost-bearing-options.js';
import type { CostOptionPolicy } from './cost-bearing-options.js';
import type { LifecycleSettings, RecordedResult, RequestLifecycle } from './request-lifecycle.js';

export interface InferenceDependencies extends LifecycleSettings {
  models: ModelRegistry;
  /** Rate limits, quotas and budgets; `OPEN_POLICY_GATE` when none apply. */
  policies: PolicyGate;
  /** A/B experiments on public models; absent when there are none. */
  experiments?: ExperimentAssigner | undefined;
  /** The response cache; absent when no model is cached. */
  cache?: ResponseCache | undefined;
  /** The per-item embeddings cache; absent when no model is cached. */
  embeddingsCache?: EmbeddingsCache | undefined;
  /** Which cost-bearing options (service_tier, server tools, …) each model and tier allows; none when absent. */
  costOptions?: CostOptionPolicy | undefined;
}

export type ChatOutcome = { kind: 'completion'; result: ChatResult } | { kind: 'stream'; stream: ChatStream };

export interface ChatCompletionOptions {
  /** The body as sent to a non-OpenAI entrance, for adapters that speak its format natively. */
  ingress?: IngressRequest | undefined;
  /** The client's cache controls (headers and the body's `cache` field, already removed from the body). */
  cacheControls?: CacheControls | undefined;
  /** Repair JSON in a non-streaming answer (response healing); the fixes go on the lifecycle. */
  healJson?: boolean | undefined;
  /** The entrance a translated request came through, for the cache key (`responses`). */
  cacheEndpoint?: 'responses' | undefined;
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
  let request = applyModelExperiment(dependencies.experiments, lifecycle, requested);
  lifecycle.describe({ kind: 'chat', body: request }, requested.model, streaming);
  const callContext = lifecycle.callContext(options.ingress);
  let admission: Admission = OPEN_ADMISSION;
  try {
    const route = dependencies.models.resolve(request.model);
    if (route === null) throw modelNotFound(request.model);
    if (lifecycle.principal !== null) checkCostBearingOptions(dependencies.costOptions, lifecycle.principal, request, options.ingress);
    admission = await admitRequest(dependencies.policies, lifecycle, requested.model, () => estimateChatInput(request),
      request.max_completion_tokens ?? request.max_tokens ?? null, request.n ?? 1);
    lifecycle.rateLimitHeaders = admission.headers;
    // The reservation assumed an output cap the client did not set: the upstream gets the same cap,
    // so the call cannot cost more than was reserved (an Anthropic body always carries max_tokens).
    if (admission.outputCap !== undefined) request = { ...request, max_completion_tokens: admission.outputCap };
    const plan = dependencies.cache?.plan({
      request, ingressBody: options.ingress?.body, tenantId: lifecycle.principal?.tenantId ?? null,
      keyId: lifecycle.principal?.keyId ?? null, endUser: lifecycle.endUser, controls: options.cacheControls ?? NO_CONTROLS,
      // Answers are filed under the prompt version that made them, so a version's log rows and stats stay its own.
      promptVersion: lifecycle.prompt === null ? null : `${lifecycle.prompt.name}@${lifecycle.prompt.version}`,
      service: lifecycle.serviceName,
      variant: lifecycle.experiment === null ? null : `${lifecycle.experiment.experiment}:${lifecycle.experiment.phase}:${lifecycle.experiment.variant.name}`,
      endpoint: options.cacheEndpoint,
    }) ?? null;
    if (dependencies.cache !== undefined && plan !== null) {
      return await answerThroughCache(dependencies, dependencies.cache, plan, lifecycle, request, route, callContext, admission, options);
    }
    // Settlements below run off the response path: until one lands, its reservation still counts.
    if (!streaming) return { kind: 'completion', result: finishCompletion(await route.chat(request, callContext), request, lifecycle, admission, options) };
    const stream = await route.streamChat(request, callContext);
    return { kind: 'stream', stream: observe(stream, lifecycle, admission, false) };
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

/**
 * A cached model: a hit is replayed in the caller's mode and costs nothing; a miss joins an
 * identical request in flight (coalesced, also free) or calls upstream and fills the cache.
 */
async function answerThroughCache(
  dependencies: InferenceDependencies, cache: ResponseCache, plan: NonNullable<ReturnType<ResponseCache['plan']>>,
  lifecycle: RequestLifecycle, request: ChatRequest, route: Provider, callContext: CallContext, admission: Admission,
  options: ChatCompletionOptions,
): Promise<ChatOutcome> {
  const wants = request.stream === true ? 'stream' : 'json';
  const hit = plan.bypass ? null : await cache.lookup(plan, lifecycle.signal);
  if (hit !== null) {
    lifecycle.cache = {
      status: hit.status, ageS: hit.ageS, similarity: hit.similarity, originRequestId: hit.originRequestId, savedUsd: hit.savedUsd,
    };
    return served(cache.replay(hit, wants, lifecycle.requestId), request, lifecycle, admission, options);
  }
  const priceBook = dependencies.priceBook;
  const run = await cache.run(plan, wants, lifecycle.signal, (signal) => {
    // The upstream call belongs to the flight: it outlives this client while others wait for it.
    const flightContext = { ...callContext, signal };
    return wants === 'stream' ? route.streamChat(request, flightContext) : route.chat(request, flightContext);
  }, {
    requestId: lifecycle.requestId,
    costOf: (outcome: FlightOutcome) => {
      const usage = outcome.cached?.usage;
      if (usage === undefined || usage === null || priceBook === undefined) return 0;
      return priceBook.costUsd({ requestedModel: request.model, provider: outcome.provider, providerModel: outcome.model }, convertWireUsage(usage));
    },
  });
  if (run.status === 'coalesced') {
    lifecycle.cache = { status: 'coalesced', ageS: null, similarity: null, originRequestId: null, savedUsd: null };
    return served(run.answer, request, lifecycle, admission, options);
  }
  lifecycle.cache = { status: plan.bypass ? 'bypass' : run.status, ageS: null, similarity: null, originRequestId: null, savedUsd: null };
  if ('chunks' in run.answer) return { kind: 'stream', stream: observe(run.answer, lifecycle, admission, false) };
  return { kind: 'completion', result: finishCompletion(run.answer, request, lifecycle, admission, options) };
}

/** An answer the cache served (a hit or a coalesced follower): no tokens or dollars toward limits and budgets. */
function served(
  answer: ChatResult | ChatStream, request: ChatRequest, lifecycle: RequestLifecycle, admission: Admission, options: ChatCompletionOptions,
): ChatOutcome {
  if ('chunks' in answer) return { kind: 'stream', stream: observe(answer, lifecycle, admission, true) };
  return { kind: 'completion', result: finishCompletion(answer, request, lifecycle, admission, options, true) };
}

function finishCompletion(
  answer: ChatResult, request: ChatRequest, lifecycle: RequestLifecycle, admission: Admission, options: ChatCompletionOptions, free = false,
): ChatResult {
  // Healing is the caller's choice, so it runs on what this caller gets: the cache keeps the
  // upstream's answer as it was, and a hit is healed for a caller who asks.
  let result = answer;
  if (options.healJson === true) {
    const healed = healJsonAnswer(request, result);
    result = healed.result;
    lifecycle.jsonFixes = healed.fixes;
    lifecycle.outputValid = healed.valid;
  }
  lifecycle.provider = result.provider;
  lifecycle.providerModel = result.model;
  const answered: RecordedResult = {
    provider: result.provider,
    model: result.model,
    usage: result.usage,
    output: () => completionText(result),
    responseBody: () => result.body ?? JSON.stringify(result.readCompletion()),
  };
  // An answer without usage is charged and logged at the same estimate; a static fallback answer
  // and a cache hit cost nothing upstream.
  const billed = free || result.staticFallback !== undefined ? { usage: result.usage, estimated: false } : lifecycle.billedUsage(answered);
  const recorded = { ...answered, usage: billed.usage, usageEstimated: billed.estimated };
  void admission.settle({ usage: free ? null : billed.usage, provider: result.provider, providerModel: result.model, streamedOutputTokens: 0 });
  if (result.staticFallback !== undefined) lifecycle.staticFallback(result.staticFallback.error, recorded);
  else lifecycle.succeed(recorded);
  return result;
}

function observe(stream: ChatStream, lifecycle: RequestLifecycle, admission: Admission, free: boolean): ChatStream {
  lifecycle.provider = stream.provider;
  lifecycle.providerModel = stream.model;
  return { ...stream, chunks: observeStream(stream, lifecycle, admission, free) };
}

export function modelNotFound(model: string): GatewayError {
  return new GatewayError('model_not_found', `The model \`${model}\` does not exist or you do not have access to it.`, {
    param: 'model',
  });
}

/** Watches a stream go by: first token, usage, text for estimates; settles and ends the lifecycle when it stops. */
async function* observeStream(stream: ChatStream, lifecycle: RequestLifecycle, admission: Admission, free: boolean): AsyncGenerator<StreamChunk> {
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
    // charged and the log records the same figure, flagged as estimated. A cache hit cost nothing.
    const billed = free || stream.staticFallback !== undefined ? { usage, estimated: false } : lifecycle.billedUsage(result());
    const recorded: RecordedResult = { ...result(), usage: billed.usage, usageEstimated: billed.estimated };
    void admission.settle(free
      ? { usage: null, provider: stream.provider, providerModel: stream.model, streamedOutputTokens: 0 }
      : { usage: billed.usage, provider: stream.provider, providerModel: stream.model, streamedOutputTokens: contentChunks });
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
