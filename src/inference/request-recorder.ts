import { GatewayError, ProviderError } from '../core/index.js';
import type { AttemptRecord, EventSink, RequestSummary, Usage } from '../core/index.js';
import type { RequestContext } from './request-context.js';

/** Collects what one request did and emits its summary exactly once. */
export class RequestRecorder {
  readonly attempts: AttemptRecord[];
  private readonly context: RequestContext;
  private readonly events: EventSink;
  private readonly requestedModel: string | null;
  private readonly stream: boolean;
  private firstTokenAt: number | null = null;
  private done = false;

  constructor(context: RequestContext, events: EventSink, requestedModel: string | null, stream: boolean) {
    this.context = context;
    this.attempts = context.attempts ?? [];
    this.events = events;
    this.requestedModel = requestedModel;
    this.stream = stream;
  }

  markFirstToken(): void {
    this.firstTokenAt ??= Date.now();
  }

  succeed(result: { provider: string; model: string; usage: Usage | null }): void {
    this.emit(200, null, result);
  }

  fail(error: unknown, result: { provider: string; model: string; usage: Usage | null } | null = null): void {
    this.emit(statusOf(error), error, result);
  }

  /** The client got the model's static fallback answer: a failure all the same, logged with its cause. */
  staticFallback(error: unknown, result: { provider: string; model: string; usage: Usage | null }): void {
    this.emit(200, error, result, 'static');
  }

  /** The client went away before the answer was complete. */
  abandon(result: { provider: string; model: string; usage: Usage | null } | null): void {
    this.fail(new GatewayError('client_closed', 'the client closed the connection'), result);
  }

  private emit(
    status: number, error: unknown, result: { provider: string; model: string; usage: Usage | null } | null, fallback: 'static' | null = null,
  ): void {
    if (this.done) return;
    this.done = true;
    const endedAt = Date.now();
    const last = this.attempts[this.attempts.length - 1];
    const summary: RequestSummary = {
      requestId: this.context.requestId,
      startedAt: this.context.startedAt,
      endedAt,
      durationMs: endedAt - this.context.startedAt,
      timeToFirstTokenMs: this.firstTokenAt === null ? null : this.firstTokenAt - this.context.startedAt,
      endpoint: this.context.endpoint,
      keyId: this.context.principal.keyId,
      tenantId: this.context.principal.tenantId,
      endUser: this.context.endUser,
      requestedModel: this.requestedModel,
      provider: result?.provider ?? last?.provider ?? null,
      providerModel: result?.model ?? last?.model ?? null,
      attempts: this.attempts,
      stream: this.stream,
      status,
      errorCode: error === null ? null : error instanceof GatewayError ? error.code : 'internal_error',
      errorMessage: error === null ? null : error instanceof Error ? error.message : String(error),
      usage: result?.usage ?? null,
      metadata: this.context.metadata,
      fallback,
    };
    this.events.emit({ type: 'request-end', summary });
  }
}

function statusOf(error: unknown): number {
  if (error instanceof ProviderError || error instanceof GatewayError) return error.status;
  return 500;
}
