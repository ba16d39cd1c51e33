import { GatewayError, ProviderError } from '../core/index.js';
import type { AttemptRecord, ChatRequest, EventSink, RequestSummary, Usage } from '../core/index.js';
import { estimateChatUsage, estimateEmbeddingsUsage } from '../pricing/index.js';
import type { Pricer } from '../pricing/index.js';
import type { RequestContext } from './request-context.js';

/** What a finished call gives the recorder. */
export interface RecordedResult {
  provider: string;
  model: string;
  usage: Usage | null;
  /** The answer's text, for a token estimate when the upstream reported no usage. */
  output?: (() => string) | undefined;
  /** What to log as the response body (`log_bodies`); defaults to the text. */
  responseBody?: (() => string) | undefined;
}

export interface RecorderSettings {
  pricer?: Pricer | undefined;
  /** Keep the request body and the response text in the summary (`logging.log_bodies`). */
  logBodies?: boolean | undefined;
  /** The parsed request: estimated usage needs it, and so does body logging. */
  request?: { kind: 'chat'; body: ChatRequest } | { kind: 'embeddings'; body: { input: unknown } } | undefined;
}

/** Collects what one request did and emits its summary exactly once. */
export class RequestRecorder {
  readonly attempts: AttemptRecord[];
  private readonly context: RequestContext;
  private readonly events: EventSink;
  private readonly requestedModel: string | null;
  private readonly stream: boolean;
  private readonly settings: RecorderSettings;
  private firstTokenAt: number | null = null;
  private done = false;

  constructor(context: RequestContext, events: EventSink, requestedModel: string | null, stream: boolean, settings: RecorderSettings = {}) {
    this.context = context;
    this.attempts = context.attempts ?? [];
    this.events = events;
    this.requestedModel = requestedModel;
    this.stream = stream;
    this.settings = settings;
  }

  markFirstToken(): void {
    this.firstTokenAt ??= Date.now();
  }

  succeed(result: RecordedResult): void {
    this.emit(200, null, result);
  }

  fail(error: unknown, result: RecordedResult | null = null): void {
    this.emit(statusOf(error), error, result);
  }

  /** The client got the model's static fallback answer: a failure all the same, logged with its cause. */
  staticFallback(error: unknown, result: { provider: string; model: string; usage: Usage | null }): void {
    this.emit(200, error, result, 'static');
  }

  /** The client went away before the answer was complete. */
  abandon(result: RecordedResult | null): void {
    this.fail(new GatewayError('client_closed', 'the client closed the connection'), result);
  }

  private emit(status: number, error: unknown, result: RecordedResult | null, fallback: 'static' | null = null): void {
    if (this.done) return;
    this.done = true;
    const endedAt = Date.now();
    const last = this.attempts[this.attempts.length - 1];
    const durationMs = endedAt - this.context.startedAt;
    let upstreamMs = 0;
    for (const attempt of this.attempts) upstreamMs += attempt.durationMs;
    const provider = result?.provider ?? last?.provider ?? null;
    const providerModel = result?.model ?? last?.model ?? null;
    let usage = result?.usage ?? null;
    let usageEstimated = false;
    if (usage === null && error === null && result !== null) {
      usage = this.estimate(result);
      usageEstimated = usage !== null;
    }
    const pricer = this.settings.pricer;
    const costUsd = usage === null || pricer === undefined
      ? 0
      : pricer.price({ requestedModel: this.requestedModel, provider, providerModel, usage });
    const summary: RequestSummary = {
      requestId: this.context.requestId,
      startedAt: this.context.startedAt,
      endedAt,
      durationMs,
      timeToFirstTokenMs: this.firstTokenAt === null ? null : this.firstTokenAt - this.context.startedAt,
      endpoint: this.context.endpoint,
      keyId: this.context.principal.keyId,
      tenantId: this.context.principal.tenantId,
      endUser: this.context.endUser,
      requestedModel: this.requestedModel,
      provider,
      providerModel,
      attempts: this.attempts,
      stream: this.stream,
      status,
      errorCode: error === null ? null : error instanceof GatewayError ? error.code : 'internal_error',
      errorMessage: error === null ? null : error instanceof Error ? error.message : String(error),
      usage,
      metadata: this.context.metadata,
      overheadMs: Math.max(0, durationMs - upstreamMs),
      costUsd,
      usageEstimated,
      fallback,
    };
    if (this.settings.logBodies === true) {
      summary.requestBody = this.settings.request?.body ?? null;
      summary.responseBody = (result?.responseBody ?? result?.output)?.() ?? null;
    }
    this.events.emit({ type: 'request-end', summary });
  }

  private estimate(result: RecordedResult): Usage | null {
    const request = this.settings.request;
    if (request === undefined) return null;
    try {
      if (request.kind === 'embeddings') return estimateEmbeddingsUsage(request.body.input);
      return estimateChatUsage(request.body, result.output?.() ?? '');
    } catch {
      return null;
    }
  }
}

function statusOf(error: unknown): number {
  if (error instanceof ProviderError || error instanceof GatewayError) return error.status;
  return 500;
}
