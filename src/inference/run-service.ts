import { NO_CONTROLS, fromCompletion } from '../cache/index.js';
import type { ChatCachePlan, ResponseCache } from '../cache/index.js';
import { GatewayError, convertWireUsage } from '../core/index.js';
import type { CallContext, ChatMessage, ChatRequest, Usage } from '../core/index.js';
import { OPEN_ADMISSION, estimateChatInput } from '../policies/index.js';
import type { Admission } from '../policies/index.js';
import { extractJson, formatIssues, renderTemplate, requireVariables, unknownService } from '../services/index.js';
import type { JsonFix, PromptRegistry, ResolvedService, SchemaIssue, ServiceCatalog } from '../services/index.js';
import { admitRequest } from './admit-request.js';
import { applyVariant, assignExperiment } from './apply-experiment.js';
import { buildServiceRequest, readServiceOutput } from './build-service-request.js';
import type { PromptedRequest } from './build-service-request.js';
import type { InferenceDependencies } from './handle-chat-completion.js';
import { modelNotFound } from './handle-chat-completion.js';
import type { CacheOutcome, RequestLifecycle } from './request-lifecycle.js';

export interface ServiceDependencies extends InferenceDependencies {
  catalog: ServiceCatalog;
  /** The model of a service that names none (the first configured model), or null. */
  defaultModel: string | null;
  /** The prompt registry, for services that name a registry prompt instead of an inline template. */
  prompts?: PromptRegistry | undefined;
}

export interface ServiceRunRequest {
  service: string;
  input: unknown;
  options: { model?: string | undefined; max_reasks?: number | undefined };
}

/** What `meta` of the envelope reports (camelCase here; the HTTP layer writes it snake_case). */
export interface ServiceMeta {
  model: string | null;
  provider: string | null;
  providerModel: string | null;
  prompt: { name: string; version: number | null; label: string | null } | null;
  /** The experiment variant the run was assigned, when an experiment runs on the service. */
  experiment: { name: string; variant: string } | null;
  attempts: number;
  reasks: number;
  fixes: JsonFix[];
  /** What the response cache did for the run; null when the service is not cached. */
  cache: CacheOutcome | null;
  usage: Usage | null;
  costUsd: number;
  durationMs: number;
}

export interface ServiceErrorDetails {
  issues?: SchemaIssue[] | undefined;
  attempts: number;
  finishReason?: string | null | undefined;
  /** The model text that failed; only for admin keys with `log_bodies` on. */
  rawOutput?: string | undefined;
}

export type ServiceOutcome =
  | { success: true; service: string; data: unknown; meta: ServiceMeta }
  | { success: false; service: string; error: GatewayError; details: ServiceErrorDetails | null; meta: ServiceMeta };

/** A failure of the run that carries its envelope details. */
class ServiceRunError extends GatewayError {
  readonly details: ServiceErrorDetails;

  constructor(code: 'json_parse_error' | 'output_validation_failed', message: string, details: ServiceErrorDetails) {
    super(code, message);
    this.details = details;
  }
}

/**
 * Runs a named AI service: resolve → check the key → validate the input → (local repair for
 * local-first services) → render → call the model with structured output → extract → repair →
 * validate → re-ask with the problems, up to `max_reasks` → outcome. Every model call is an
 * attempt in the trail and the log; usage and cost are summed over them. Never throws: every
 * failure comes back as an outcome the HTTP layer turns into the envelope.
 */
export async function runService(dependencies: ServiceDependencies, lifecycle: RequestLifecycle, run: ServiceRunRequest): Promise<ServiceOutcome> {
  const state = new RunState();
  let resolved: ResolvedService | null = null;
  let model: string | null = null;
  let admission: Admission = OPEN_ADMISSION;
  lifecycle.serviceName = run.service;
  try {
    const principal = lifecycle.principal;
    if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
    resolved = await dependencies.catalog.resolve(run.service, principal.tenantId);
    if (resolved === null) throw unknownService(run.service);
    const allowedServices = principal.allowedServices;
    if (allowedServices !== null && allowedServices !== undefined && !allowedServices.includes(run.service)) {
      throw new GatewayError('model_not_allowed', `This key may not use the service \`${run.service}\`.`, { param: 'service' });
    }
    const definition = resolved.definition;
    const input = run.input ?? {};
    checkInput(resolved, input);

    if (definition.local_first) {
      const local = repairLocally(resolved, input);
      if (local !== null) {
        state.fixes = local.fixes;
        state.local = true;
        record(lifecycle, state, true);
        lifecycle.succeed({ provider: 'sluice', model: 'local', usage: null, costUsd: 0 });
        return { success: true, service: run.service, data: local.value, meta: state.meta(null, lifecycle, dependencies) };
      }
    }

    // Assigned once the model is needed (a local repair is the same for every variant): the
    // variant's prompt version, model and parameters win over the service's and the client's, so
    // that what the log says the variant was is what ran.
    const variant = assignExperiment(dependencies.experiments, lifecycle, 'service', run.service)?.variant ?? null;
    const promptReference = variantPrompt(run.service, definition.prompt, variant?.promptVersion);
    const prompted = promptReference === undefined ? null : await renderRegistryPrompt(dependencies, lifecycle, promptReference, input);
    model = variant?.model ?? run.options.model ?? definition.model ?? prompted?.model ?? dependencies.defaultModel;
    if (model === null) {
      throw new GatewayError('invalid_request', `The service ${run.service} names no model; pass options.model.`, { param: 'options.model' });
    }
    let request = buildServiceRequest(resolved, input, model, prompted);
    if (variant !== null) request = applyVariant(request, variant);
    lifecycle.describe({ kind: 'chat', body: request }, model, false);
    const route = dependencies.models.resolve(model);
    if (route === null) throw modelNotFound(model);
    const firstRequest = request;
    admission = await admitRequest(dependencies.policies, lifecycle, model, () => estimateChatInput(firstRequest), request.max_tokens ?? null);
    lifecycle.rateLimitHeaders = admission.headers;

    const cache = definition.cache.enabled ? dependencies.cache : undefined;
    const plan = cache?.plan({
      request, tenantId: principal.tenantId, keyId: principal.keyId, endUser: lifecycle.endUser, controls: NO_CONTROLS,
      promptVersion: lifecycle.prompt === null ? null : `${lifecycle.prompt.name}@${lifecycle.prompt.version}`,
      service: run.service, serviceTtlS: definition.cache.ttl_s,
    }) ?? null;
    if (cache !== undefined && plan !== null) {
      const served = await answerFromCache(cache, plan, resolved, lifecycle, state);
      if (served !== null) {
        void admission.settle({ usage: null, provider: state.provider, providerModel: state.providerModel, streamedOutputTokens: 0 });
        record(lifecycle, state, true);
        lifecycle.succeed({ provider: served.provider, model: served.model, usage: served.usage, costUsd: 0 });
        return { success: true, service: run.service, data: served.value, meta: state.meta(model, lifecycle, dependencies) };
      }
      lifecycle.cache = { status: 'miss', ageS: null, similarity: null, originRequestId: null, savedUsd: null };
    }

    const maxReasks = run.options.max_reasks ?? definition.max_reasks;
    const deadline = startDeadline(lifecycle.signal, definition.timeout_ms, run.service);
    try {
      for (let attempt = 0; ; attempt++) {
        const callContext: CallContext = { ...lifecycle.callContext(), signal: deadline.signal, attemptKind: attempt === 0 ? undefined : 'reask' };
        const result = await route.chat(request, callContext);
        const completion = result.readCompletion();
        const usage = result.usage ?? (completion.usage ? convertWireUsage(completion.usage) : null);
        const cost = usage === null || dependencies.priceBook === undefined
          ? 0
          : dependencies.priceBook.costUsd({ requestedModel: model, provider: result.provider, providerModel: result.model }, usage);
        state.add(result.provider, result.model, usage, cost);
        lifecycle.provider = result.provider;
        lifecycle.providerModel = result.model;
        const output = readServiceOutput(completion);
        state.lastOutput = output.text;
        const verdict = judge(resolved, output);
        state.fixes = verdict.fixes;
        if (verdict.ok) {
          // Only an answer that passed is stored, under the first request's key: the next identical
          // run gets the valid answer without repeating the re-asks that led to it.
          if (cache !== undefined && plan !== null) {
            void cache.write(plan, {
              cached: fromCompletion(completion, result.provider, result.model), provider: result.provider, model: result.model,
              staticFallback: result.staticFallback !== undefined,
            }, lifecycle.requestId, state.costUsd);
          }
          void admission.settle({ usage: state.usage, provider: state.provider, providerModel: state.providerModel, streamedOutputTokens: 0 });
          record(lifecycle, state, true);
          lifecycle.succeed({ provider: result.provider, model: result.model, usage: state.usage, costUsd: state.costUsd, output: () => output.text });
          return { success: true, service: run.service, data: verdict.value, meta: state.meta(model, lifecycle, dependencies) };
        }
        if (attempt >= maxReasks) throw verdict.error(attempt + 1);
        state.reasks++;
        request = reask(request, output.text, verdict.feedback, verdict.truncated ? state.lastCompletionTokens : null);
      }
    } finally {
      deadline.clear();
    }
  } catch (caught) {
    const error = caught instanceof GatewayError
      ? caught
      : new GatewayError('internal_error', `Internal error; quote request id ${lifecycle.requestId} when reporting it.`, { cause: caught });
    void admission.settle({ usage: state.usage, provider: state.provider, providerModel: state.providerModel, streamedOutputTokens: 0 });
    record(lifecycle, state, resolved?.definition.type === 'json' && state.calls > 0 ? false : null);
    lifecycle.fail(error, state.provider === null ? null : { provider: state.provider, model: state.providerModel ?? '', usage: state.usage, costUsd: state.costUsd });
    const details: ServiceErrorDetails | null = error instanceof ServiceRunError
      ? { ...error.details, ...(mayShowRawOutput(lifecycle, dependencies) && state.lastOutput !== null ? { rawOutput: state.lastOutput } : {}) }
      : state.calls > 0 ? { attempts: state.calls } : null;
    return { success: false, service: run.service, error, details, meta: state.meta(model, lifecycle, dependencies) };
  }
}

/**
 * A cached service: the stored answer of an identical earlier run, judged again (it passed when
 * stored, and the key holds the schema and the rendered prompt), or null to call the model.
 */
async function answerFromCache(
  cache: ResponseCache, plan: ChatCachePlan, service: ResolvedService, lifecycle: RequestLifecycle, state: RunState,
): Promise<{ value: unknown; provider: string; model: string; usage: Usage | null } | null> {
  const hit = await cache.lookup(plan, lifecycle.signal);
  if (hit === null) return null;
  const replayed = cache.replay(hit, 'json', lifecycle.requestId);
  if ('chunks' in replayed) return null;
  const verdict = judge(service, readServiceOutput(replayed.readCompletion()));
  if (!verdict.ok) return null;
  lifecycle.cache = { status: hit.status, ageS: hit.ageS, similarity: hit.similarity, originRequestId: hit.originRequestId, savedUsd: hit.savedUsd };
  lifecycle.provider = replayed.provider;
  lifecycle.providerModel = replayed.model;
  state.provider = replayed.provider;
  state.providerModel = replayed.model;
  state.fixes = verdict.fixes;
  return { value: verdict.value, provider: replayed.provider, model: replayed.model, usage: replayed.usage };
}

/** What the request log keeps of a run besides the usual: fixes, re-asks, whether the output was valid. */
function record(lifecycle: RequestLifecycle, state: RunState, outputValid: boolean | null): void {
  lifecycle.jsonFixes = state.fixes;
  lifecycle.reaskCount = state.reasks;
  lifecycle.outputValid = outputValid;
}

/** Validates the input against the service's input schema; the first problem names its field. */
function checkInput(service: ResolvedService, input: unknown): void {
  if (service.input === null) return;
  const check = service.input.check(input);
  if (check.ok) return;
  const issue = check.issues[0];
  const field = issue === undefined || issue.path === '' ? 'input' : `input${issue.path.replace(/\//g, '.')}`;
  throw new GatewayError('invalid_request', `Invalid value for '${field}': ${issue?.message ?? 'does not match the input schema'}.`, { param: field });
}

/** Local first: extraction and repair of `input.text`; null when the model is needed. */
function repairLocally(service: ResolvedService, input: unknown): { value: unknown; fixes: JsonFix[] } | null {
  const text = input !== null && typeof input === 'object' && 'text' in input && typeof input.text === 'string' ? input.text : null;
  if (text === null) return null;
  const definition = service.definition;
  const extracted = extractJson(text, { expect: service.output?.expects ?? null, citations: definition.repair.citations });
  if (!extracted.ok || (extracted.truncated && !definition.repair.allow_truncated)) return null;
  if (service.output !== null && !service.output.check(extracted.value).ok) return null;
  return { value: extracted.value, fixes: extracted.fixes };
}

type Verdict =
  | { ok: true; value: unknown; fixes: JsonFix[] }
  | { ok: false; fixes: JsonFix[]; feedback: string; truncated: boolean; error: (attempts: number) => ServiceRunError };

/** Whether one answer will do: its text (type text), or JSON that is complete and matches the schema. */
function judge(service: ResolvedService, output: { text: string; refusal: string | null; finishReason: string | null }): Verdict {
  const definition = service.definition;
  const finishReason = output.finishReason;
  if (definition.type === 'text') {
    if (finishReason !== 'length' || definition.repair.allow_truncated) return { ok: true, value: output.text, fixes: [] };
    return parseFailure([], 'Your previous answer was cut off. Answer again, more concisely.', true, finishReason,
      'The model\'s answer was cut off (finish_reason length)');
  }
  if (output.refusal !== null) {
    return parseFailure([], 'Answer with the JSON requested.', false, finishReason, `The model refused: ${output.refusal}`);
  }
  const extracted = extractJson(output.text, { expect: service.output?.expects ?? null, citations: definition.repair.citations });
  const truncated = finishReason === 'length' || extracted.truncated;
  if (truncated && !definition.repair.allow_truncated) {
    return parseFailure(extracted.fixes, 'Your previous answer was cut off before the JSON was complete. Answer again with only the complete JSON, as concisely as the schema allows.',
      true, finishReason, `The model's answer was cut off before its JSON was complete (finish_reason ${finishReason ?? 'unknown'})`);
  }
  if (!extracted.ok) {
    return parseFailure(extracted.fixes, `Your previous answer was not valid JSON (${extracted.message}) Answer again with only the JSON.`,
      false, finishReason, extracted.message);
  }
  if (service.output !== null) {
    const check = service.output.check(extracted.value);
    if (!check.ok) {
      return {
        ok: false,
        fixes: extracted.fixes,
        truncated: false,
        feedback: `Your previous answer did not match the required JSON Schema:\n${formatIssues(check.issues)}\nReturn only the corrected JSON.`,
        error: (attempts) => new ServiceRunError('output_validation_failed',
          `Model output did not match the output schema after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
          { issues: check.issues, attempts, finishReason }),
      };
    }
  }
  return { ok: true, value: extracted.value, fixes: extracted.fixes };
}

function parseFailure(fixes: JsonFix[], feedback: string, truncated: boolean, finishReason: string | null, message: string): Verdict {
  return {
    ok: false, fixes, feedback, truncated,
    error: (attempts) => new ServiceRunError('json_parse_error', `${message} after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
      { attempts, finishReason }),
  };
}

/**
 * The next request: the conversation so far, the model's answer, and what was wrong with it (the
 * instructor/TypeChat re-ask). A cut-off answer gets twice the room it used.
 */
function reask(request: ChatRequest, answer: string, feedback: string, usedCompletionTokens: number | null): ChatRequest {
  const messages: ChatMessage[] = [...request.messages, { role: 'assistant', content: answer }, { role: 'user', content: feedback }];
  const next: ChatRequest = { ...request, messages };
  if (usedCompletionTokens !== null && usedCompletionTokens > 0) {
    const previous = request.max_tokens ?? usedCompletionTokens;
    next.max_tokens = Math.max(previous, usedCompletionTokens) * 2;
  }
  return next;
}

function mayShowRawOutput(lifecycle: RequestLifecycle, dependencies: ServiceDependencies): boolean {
  return dependencies.logBodies === true && lifecycle.principal !== null && lifecycle.principal.role !== 'client';
}

/** The service's own deadline, on top of the client's disconnect. */
function startDeadline(parent: AbortSignal, timeoutMs: number, service: string): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort(parent.reason);
  if (parent.aborted) abort();
  else parent.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new GatewayError('provider_timeout', `The service ${service} did not finish within ${timeoutMs} ms.`));
  }, timeoutMs);
  timer.unref();
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', abort);
    },
  };
}

/** What the run has done so far: calls, summed usage and cost, fixes, re-asks. */
class RunState {
  calls = 0;
  reasks = 0;
  fixes: JsonFix[] = [];
  usage: Usage | null = null;
  costUsd = 0;
  provider: string | null = null;
  providerModel: string | null = null;
  lastOutput: string | null = null;
  lastCompletionTokens: number | null = null;
  local = false;

  add(provider: string, providerModel: string, usage: Usage | null, costUsd: number): void {
    this.calls++;
    this.provider = provider;
    this.providerModel = providerModel;
    this.lastCompletionTokens = usage?.completionTokens ?? null;
    this.costUsd += costUsd;
    if (usage === null) return;
    const sum = this.usage;
    this.usage = sum === null ? { ...usage } : {
      promptTokens: sum.promptTokens + usage.promptTokens,
      completionTokens: sum.completionTokens + usage.completionTokens,
      totalTokens: sum.totalTokens + usage.totalTokens,
      cachedTokens: sum.cachedTokens + usage.cachedTokens,
      cacheWriteTokens: sum.cacheWriteTokens + usage.cacheWriteTokens,
      reasoningTokens: sum.reasoningTokens + usage.reasoningTokens,
    };
  }

  meta(model: string | null, lifecycle: RequestLifecycle, dependencies: ServiceDependencies): ServiceMeta {
    return {
      model: this.local ? null : model,
      provider: this.provider,
      providerModel: this.providerModel,
      prompt: lifecycle.prompt === null ? null : { ...lifecycle.prompt },
      experiment: lifecycle.experiment === null || lifecycle.experiment.exposure === null
        ? null
        : { name: lifecycle.experiment.experiment, variant: lifecycle.experiment.variant.name },
      attempts: this.calls,
      reasks: this.reasks,
      fixes: this.fixes,
      cache: lifecycle.cache === null ? null : { ...lifecycle.cache },
      usage: this.usage,
      costUsd: roundCost(this.costUsd),
      durationMs: dependencies.clock.now() - lifecycle.startedAt,
    };
  }
}

function roundCost(value: number): number {
  return Math.round(value * 1e10) / 1e10;
}

/**
 * The registry prompt a run renders: the service's, at the variant's version when the variant
 * names one. A variant with a prompt version on a service without a registry prompt is a
 * definition the experiment should not have been given: refused rather than silently ignored.
 */
function variantPrompt(
  service: string, reference: { name: string; label?: string | undefined; version?: number | undefined } | undefined, version: number | undefined,
): { name: string; label?: string | undefined; version?: number | undefined } | undefined {
  if (version === undefined) return reference;
  if (reference === undefined) {
    throw new GatewayError('service_unavailable', `The experiment on the service ${service} sets a prompt version, and the service uses no registry prompt.`);
  }
  return { name: reference.name, version };
}

/**
 * A service that names a registry prompt: the version its label (or number) points at, rendered
 * with the service's input as the variables (a missing one is a 400 naming `input.<name>`). The
 * version's model settings fill only what the service itself leaves unset; the lifecycle learns
 * the version, so the answer, the envelope and the log row name it.
 */
async function renderRegistryPrompt(
  dependencies: ServiceDependencies, lifecycle: RequestLifecycle, reference: { name: string; label?: string | undefined; version?: number | undefined },
  input: unknown,
): Promise<PromptedRequest> {
  const registry = dependencies.prompts;
  if (registry === undefined) {
    throw new GatewayError('service_unavailable', `The service uses the prompt ${reference.name}, and this gateway has no prompt registry.`);
  }
  const prompt = await registry.resolve({ ...reference, tenantId: lifecycle.principal?.tenantId ?? null });
  lifecycle.prompt = { name: prompt.name, version: prompt.version.version, label: prompt.label };
  const variables = input !== null && typeof input === 'object' && !Array.isArray(input) ? Object.fromEntries(Object.entries(input)) : { input };
  const rendered = renderTemplate(prompt.version.template, variables, prompt.version.variables);
  requireVariables(rendered, 'input');
  const settings = prompt.version.modelConfig;
  const model = settings['model'];
  const temperature = settings['temperature'];
  const maxTokens = settings['max_tokens'];
  return {
    messages: rendered.messages,
    model: typeof model === 'string' ? model : null,
    temperature: typeof temperature === 'number' ? temperature : null,
    maxTokens: typeof maxTokens === 'number' ? maxTokens : null,
  };
}
