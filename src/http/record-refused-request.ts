import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { EventSink, GatewayError } from '../core/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once a use case owns the request (it then reports the request itself). */
    useCaseStarted: boolean;
    /** The error this request was answered with, if any. */
    gatewayError: GatewayError | null;
  }
}

/**
 * An onResponse hook for the /v1 scope: a POST refused before any use case ran (no or a bad key,
 * invalid JSON, a bad body) still leaves its row in the request log.
 */
export function createRefusedRequestRecorder(events: EventSink) {
  // A callback hook, not an async one: it runs on every /v1 response and almost always returns at once.
  return function recordRefusedRequest(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    done();
    if (request.useCaseStarted || request.method !== 'POST') return;
    const endedAt = Date.now();
    const error = request.gatewayError;
    const body: unknown = request.body;
    const model = body !== null && typeof body === 'object' && 'model' in body && typeof body.model === 'string' ? body.model : null;
    const user = request.headers['x-sluice-user'];
    events.emit({
      type: 'request-end',
      summary: {
        requestId: request.id,
        startedAt: request.startedAt,
        endedAt,
        durationMs: endedAt - request.startedAt,
        timeToFirstTokenMs: null,
        endpoint: endpointOf(request.routeOptions.url ?? request.url),
        keyId: request.principal?.keyId ?? null,
        tenantId: request.principal?.tenantId ?? null,
        endUser: typeof user === 'string' && user !== '' ? user : null,
        requestedModel: model,
        provider: null,
        providerModel: null,
        attempts: [],
        stream: body !== null && typeof body === 'object' && 'stream' in body && body.stream === true,
        status: reply.statusCode,
        errorCode: error?.code ?? (reply.statusCode >= 400 ? 'internal_error' : null),
        errorMessage: error?.message ?? null,
        usage: null,
        metadata: null,
        overheadMs: endedAt - request.startedAt,
        costUsd: 0,
        usageEstimated: false,
      },
    });
  };
}

/** `/v1/chat/completions` → `chat.completions`, the endpoint names use cases report. */
function endpointOf(url: string): string {
  return url.split('?')[0]?.replace(/^\/v1\//, '').replaceAll('/', '.') ?? url;
}
