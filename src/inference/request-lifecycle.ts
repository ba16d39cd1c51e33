import { GatewayError, ProviderError, upstreamCallCount } from '../core/index.js';
import type { AttemptRecord, CacheStatus, CallContext, EventSink, IngressRequest, RequestSummary, Usage } from '../core/index.js';
import type { Clock } from '../lib/index.js';
import type { Principal } from '../policies/index.js';
import { estimateChatUsage, estimateEmbeddingsUsage } from '../pricing/index.js';
import type { PriceBook } from '../pricing/index.js';
import type { ChatRequest, EmbeddingsRequest } from '../core/index.js';
import type { AppliedVariant } from '../services/index.js';

/** What every lifecycle of a gateway shares. */
export interface LifecycleSettings {
  events: EventSink;
  clock: Pick<Clock, 'now'>;
  /** Prices each answer for the request log; without it costs are 0. */
  priceBook?: PriceBook | undefined;
  /** `logging.log_bodies`: put the request and response bodies into the request-end summary. */
  logBodies?: boolean | undefined;
  /**
   * With `tracing.propagate_upstream`: the `traceparent` to send upstream for a request, given
   * the client's (or null); absent when traces are not propagated.
   */
  upstreamTraceparent?: ((incoming: string | null) => string | null) | undefined;
}

/** What a finished call gives the lifecycle. */
export interface RecordedResult {
  provider: string;
  model: string;
  usage: Usage | null;
  /** `usage` is the gateway's estimate (see `billedUsage`), not the upstream's report. */
  usageEstimated?: boolean | undefined;
  /** The answer's text, for a token estimate when the upstream reported no usage. */
  output?: (() => string) | undefined;
  /** What to log as the response body (`log_bodies`); defaults to the text. */
  responseBody?: (() => string) | undefined;
  /** The cost when the answer took several calls, each priced on its own (a service's re-asks). */
  costUsd?: number | undefined;
}

/** What the response cache did for a request (see `x-sluice-cache`). */
export interface CacheOutcome {
  status: CacheStatus;
  /** Hits: seconds since the entry was stored. */
  ageS: number | null;
  /** Semantic hits: the cosine similarity of the match. */
  similarity: number | null;
  originRequestId: string | null;
  /** Hits: the original call's cost; coalesced followers: priced from the shared answer's usage. */
  savedUsd: number | null;
}

/** The parsed request, for usage estimates and body logging. */
export type LoggedRequest = { kind: 'chat'; body: ChatRequest } | { kind: 'embeddings'; body: EmbeddingsRequest };

/**
 * One request from arrival to its single `request-end` event. The HTTP shell creates it before
 * it reads the key or the body, so refusals (a bad key, a bad body, a limit) end the same way as
 * answered requests; the use case fills in what routing and policies learn. It owns the attempt
 * trail that routing appends to, the timings, and the headers every answer carries.
 */
export class RequestLifecycle {
  readonly requestId: string;
  readonly endpoint: string;
  /** Epoch ms when the request arrived. */
  readonly startedAt: number;
  /** Upstream calls, in the order they started; routing appends through the call context. */
  readonly attempts: AttemptRecord[] = [];
  principal: Principal | null = null;
  requestedModel: string | null = null;
  stream = false;
  /** The end user: the `x-sluice-user` header or the body's `user` field. */
  endUser: string | null = null;
  /** Caller metadata from `x-sluice-metadata`. */
  metadata: Record<string, string> | null = null;
  /** `x-sluice-session`: the unit of session-based experiments. */
  session: string | null = null;
  /** `x-sluice-variant` from a key allowed to pin one; null otherwise. */
  pinnedVariant: string | null = null;
  /** The experiment variant this request was assigned, once assigned. */
  experiment: AppliedVariant | null = null;
  /** `x-ratelimit-*` headers from admission; every answer after admission carries them. */
  rateLimitHeaders: Readonly<Record<string, string>> = NO_HEADERS;
  /** The provider and upstream model of the answer, once known. */
  provider: string | null = null;
  providerModel: string | null = null;
  /** The registry prompt applied to the request: its name, the version served and the label that chose it. */
  prompt: { name: string; version: number; label: string | null } | null = null;
  /** Services: the service run; services and JSON healing: the fixes applied, and whether the output was valid. */
  serviceName: string | null = null;
  jsonFixes: readonly string[] | null = null;
  reaskCount: number | null = null;
  outputValid: boolean | null = null;
  /** Set when the response cache applies to the request's model. */
  cache: CacheOutcome | null = null;
  private readonly settings: LifecycleSettings;
  private readonly controller = new AbortController();
  private request: LoggedRequest | null = null;
  private firstTokenAt: number | null = null;
  private ended = false;
  private readonly traceparent: string | undefined;

  /** Emits `request-start`; `traceparent` is the client's W3C header, the parent of the request's spans. */
  constructor(settings: LifecycleSettings, requestId: string, endpoint: string, startedAt?: number, traceparent: string | null = null) {
    this.settings = settings;
    this.requestId = requestId;
    this.endpoint = endpoint;
    this.startedAt = startedAt ?? settings.clock.now();
    const upstreamTraceparent = settings.upstreamTraceparent?.(traceparent) ?? null;
    this.traceparent = upstreamTraceparent ?? undefined;
    settings.events.emit({ type: 'request-start', requestId, endpoint, startedAt: this.startedAt, traceparent, upstreamTraceparent });
  }

  /** Aborts when the client goes away; every upstream call below listens to it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the request-end event has been emitted. */
  get done(): boolean {
    return this.ended;
  }

  /** The client went away: cancel everything still running for this request. */
  cancel(): void {
    // A GatewayError, so that whatever was waiting (an upstream call, a backoff) reports client_closed.
    if (!this.controller.signal.aborted) this.controller.abort(new GatewayError('client_closed', 'the client closed the connection'));
  }

  /** The parsed request, once the use case has it (for estimates and `log_bodies`). */
  describe(request: LoggedRequest, model: string, stream: boolean): void {
    this.request = request;
    this.requestedModel = model;
    this.stream = stream;
  }

  /** What every call below the use case receives. */
  callContext(ingress?: IngressRequest): CallContext {
    return this.traceparent === undefined
      ? { requestId: this.requestId, signal: this.controller.signal, attempts: this.attempts, ingress }
      : { requestId: this.requestId, signal: this.controller.signal, attempts: this.attempts, ingress, traceparent: this.traceparent };
  }

  markFirstToken(): void {
    this.firstTokenAt ??= this.settings.clock.now();
  }

  succeed(result: RecordedResult): void {
    this.end(200, null, result);
  }

  fail(error: unknown, result: RecordedResult | null = null): void {
    this.end(statusOf(error), error, result);
  }

  /** The client got the model's static fallback answer: a failure all the same, logged with its cause. */
  staticFallback(error: unknown, result: RecordedResult): void {
    this.end(200, error, result, 'static');
  }

  /** The client went away before the answer was complete. */
  abandon(result: RecordedResult | null): void {
    this.fail(new GatewayError('client_closed', 'the client closed the connection'), result);
  }

  private end(status: number, error: unknown, result: RecordedResult | null, fallback: 'static' | null = null): void {
    if (this.ended) return;
    this.ended = true;
    const endedAt = this.settings.clock.now();
    const attempts = this.attempts;
    const last = attempts[attempts.length - 1];
    const durationMs = endedAt - this.startedAt;
    let upstreamMs = 0;
    for (const attempt of attempts) upstreamMs += attempt.durationMs;
    const provider = result?.provider ?? last?.provider ?? null;
    const providerModel = result?.model ?? last?.model ?? null;
    let usage = result?.usage ?? null;
    let usageEstimated = usage !== null && result?.usageEstimated === true;
    const cache = this.cache;
    // Answered by the cache: no tokens were spent, so none are logged (they would count twice in
    // token reports); the cost is 0 and what the answer cost once is recorded as saved.
    const served = cache !== null && (cache.status === 'hit' || cache.status === 'semantic_hit' || cache.status === 'coalesced');
    if (usage === null && error === null && result !== null && !served) {
      usage = this.estimate(result);
      usageEstimated = usage !== null;
    }
    const priceBook = this.settings.priceBook;
    const price = (counted: Usage | null) => (counted === null || priceBook === undefined
      ? 0
      : priceBook.costUsd({ requestedModel: this.requestedModel, provider, providerModel }, counted));
    // A service's answer may have taken several calls, each priced on its own (result.costUsd).
    const costUsd = served ? 0 : result?.costUsd ?? price(usage);
    const costSavedUsd = !served ? null : cache.savedUsd ?? result?.costUsd ?? price(usage);
    if (served) usage = null;
    const principal = this.principal;
    const summary: RequestSummary = {
      requestId: this.requestId,
      startedAt: this.startedAt,
      endedAt,
      durationMs,
      timeToFirstTokenMs: this.firstTokenAt === null ? null : this.firstTokenAt - this.startedAt,
      endpoint: this.endpoint,
      keyId: principal?.keyId ?? null,
      tenantId: principal?.tenantId ?? null,
      endUser: this.endUser,
      requestedModel: this.requestedModel,
      provider,
      providerModel,
      attempts,
      stream: this.stream,
      status,
      errorCode: error === null ? null : error instanceof GatewayError ? error.code : 'internal_error',
      errorMessage: error === null ? null : error instanceof Error ? error.message : String(error),
      usage,
      metadata: this.metadata,
      overheadMs: Math.max(0, durationMs - upstreamMs),
      costUsd,
      usageEstimated,
      fallback,
      cacheStatus: cache?.status ?? null,
      costSavedUsd,
      cacheOriginRequestId: cache?.originRequestId ?? null,
    };
    if (this.experiment?.exposure != null) summary.experimentVariant = this.experiment.exposure;
    if (this.prompt !== null) {
      summary.promptName = this.prompt.name;
      summary.promptVersion = String(this.prompt.version);
      summary.promptLabel = this.prompt.label;
    }
    if (this.serviceName !== null) summary.serviceName = this.serviceName;
    if (this.jsonFixes !== null) summary.jsonFixes = [...this.jsonFixes];
    if (this.reaskCount !== null) summary.reaskCount = this.reaskCount;
    if (this.outputValid !== null) summary.outputValid = this.outputValid;
    if (this.settings.logBodies === true) {
      summary.requestBody = this.request?.body ?? null;
      summary.responseBody = (result?.responseBody ?? result?.output)?.() ?? null;
    }
    // The summary now holds what the log needs; drop the body so nothing keeps it alive.
    this.request = null;
    this.settings.events.emit({ type: 'request-end', summary });
  }

  /**
   * What a call is logged and charged at: the upstream's usage when it reported one; else, once
   * an upstream call was made, an estimate of what was sent and what was streamed (the prompt
   * alone when nothing came back), flagged as estimated. Budgets settle with this same usage, so
   * the log's spend is what the budget charged. Null when no call went out.
   */
  billedUsage(result: RecordedResult | null): { usage: Usage | null; estimated: boolean } {
    if (result?.usage !== undefined && result.usage !== null) return { usage: result.usage, estimated: false };
    if (upstreamCallCount(this.attempts) === 0 && (result === null || (result.output?.() ?? '') === '')) return { usage: null, estimated: false };
    const usage = this.estimate(result ?? { provider: '', model: '', usage: null });
    return { usage, estimated: usage !== null };
  }

  private estimate(result: RecordedResult): Usage | null {
    const request = this.request;
    if (request === null) return null;
    try {
      if (request.kind === 'embeddings') return estimateEmbeddingsUsage(request.body.input);
      return estimateChatUsage(request.body, result.output?.() ?? '');
    } catch {
      return null;
    }
  }
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

function statusOf(error: unknown): number {
  if (error instanceof ProviderError || error instanceof GatewayError) return error.status;
  return 500;
}
