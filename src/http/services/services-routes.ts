import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AttemptRecord, GatewayError } from '../../core/index.js';
import { runService } from '../../inference/index.js';
import type { ServiceDependencies, ServiceErrorDetails, ServiceMeta, ServiceOutcome } from '../../inference/index.js';
import { LimitExceededError } from '../../policies/index.js';
import { SERVICE_NAME } from '../../services/index.js';
import { attemptHeaders } from '../attempt-headers.js';
import { parseBody } from '../parse-body.js';
import { createRequestContext } from '../request-context.js';
import { retryHeaders, toGatewayError } from '../to-gateway-error.js';

const optionsSchema = z.strictObject({
  model: z.string().min(1).optional(),
  max_reasks: z.int().min(0).max(5).optional(),
}).prefault({});

const runBodySchema = z.strictObject({
  input: z.unknown().optional(),
  options: optionsSchema,
  metadata: z.record(z.string(), z.string()).optional(),
});

const singleEndpointSchema = runBodySchema.extend({ service: z.string().min(1) });

export interface ServicesRoutesOptions {
  services: ServiceDependencies;
  onError: (error: GatewayError, requestId: string) => void;
}

/**
 * Named AI services: `POST /v1/services/{name}/run`, `POST /v1/services/run` with `{"service"}`,
 * and `GET /v1/services`. Every answer, success or failure (a bad key or body included), is the
 * envelope of CONTRACT §3.3 with the error code's status.
 */
export async function servicesRoutes(app: FastifyInstance, options: ServicesRoutesOptions): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error, request.id);
    request.gatewayError = gatewayError;
    options.onError(gatewayError, request.id);
    if (gatewayError instanceof LimitExceededError) reply.headers(gatewayError.headers);
    reply.code(gatewayError.status).headers(retryHeaders(gatewayError))
      .send(envelopeOf(serviceNameOf(request), request.id, null, gatewayError, null, null));
  });

  app.post<{ Params: { name: string } }>('/v1/services/:name/run', async (request, reply) => {
    const body = parseBody(runBodySchema, request.body ?? {});
    return run(request, reply, request.params.name, body);
  });

  app.post('/v1/services/run', async (request, reply) => {
    const body = parseBody(singleEndpointSchema, request.body);
    return run(request, reply, body.service, body);
  });

  app.get('/v1/services', async (request) => {
    const principal = request.principal;
    const allowed = principal?.allowedServices ?? null;
    const services = await options.services.catalog.list({ role: 'client', tenantId: principal?.tenantId ?? null });
    return {
      object: 'list',
      data: services
        .filter((service) => allowed === null || allowed.includes(service.definition.name))
        .map((service) => ({
          name: service.definition.name,
          description: service.definition.description,
          type: service.definition.type,
          model: service.definition.model ?? null,
          input_schema: service.definition.input_schema ?? null,
          output_schema: service.definition.output_schema ?? null,
        })),
    };
  });

  async function run(
    request: FastifyRequest, reply: FastifyReply, name: string, body: z.output<typeof runBodySchema>,
  ): Promise<FastifyReply> {
    const attempts: AttemptRecord[] = [];
    const base = createRequestContext(request, reply, 'services.run', null);
    const metadata = body.metadata === undefined ? base.metadata : { ...base.metadata, ...body.metadata };
    const outcome = await runService(options.services, { service: name, input: body.input, options: body.options }, { ...base, metadata, attempts });
    reply.headers(outcome.rateLimitHeaders).headers(attemptHeaders(outcome.attempts));
    if (outcome.meta.provider !== null) reply.header('x-sluice-provider', outcome.meta.provider);
    if (outcome.meta.providerModel !== null) reply.header('x-sluice-model', outcome.meta.providerModel);
    if (outcome.meta.fixes.length > 0) reply.header('x-sluice-json-fixes', outcome.meta.fixes.join(','));
    if (outcome.success) return reply.code(200).send(envelopeOf(name, request.id, outcome, null, null, outcome.meta));
    request.gatewayError = outcome.error;
    options.onError(outcome.error, request.id);
    if (outcome.error instanceof LimitExceededError) reply.headers(outcome.error.headers);
    return reply.code(outcome.error.status).headers(retryHeaders(outcome.error))
      .send(envelopeOf(name, request.id, null, outcome.error, outcome.details, outcome.meta));
  }
}

function serviceNameOf(request: FastifyRequest): string | null {
  const params = request.params;
  if (params !== null && typeof params === 'object' && 'name' in params && typeof params.name === 'string') return params.name;
  const body: unknown = request.body;
  if (body !== null && typeof body === 'object' && 'service' in body && typeof body.service === 'string' && SERVICE_NAME.test(body.service)) {
    return body.service;
  }
  return null;
}

/** The envelope: `{success, service, data, error, request_id, meta}`; nothing internal in `error`. */
function envelopeOf(
  service: string | null, requestId: string, outcome: Extract<ServiceOutcome, { success: true }> | null, error: GatewayError | null,
  details: ServiceErrorDetails | null, meta: ServiceMeta | null,
): Record<string, unknown> {
  return {
    success: error === null,
    service,
    data: outcome === null ? null : outcome.data,
    error: error === null ? null : {
      message: error.message,
      code: error.code,
      ...(error.param === null ? {} : { param: error.param }),
      ...(details === null ? {} : { details: toWireDetails(details) }),
    },
    request_id: requestId,
    ...(meta === null ? {} : { meta: toWireMeta(meta) }),
  };
}

function toWireDetails(details: ServiceErrorDetails): Record<string, unknown> {
  return {
    ...(details.issues === undefined ? {} : { issues: details.issues }),
    attempts: details.attempts,
    ...(details.finishReason === undefined ? {} : { finish_reason: details.finishReason }),
    ...(details.rawOutput === undefined ? {} : { raw_output: details.rawOutput }),
  };
}

function toWireMeta(meta: ServiceMeta): Record<string, unknown> {
  return {
    model: meta.model,
    provider: meta.provider,
    provider_model: meta.providerModel,
    prompt: meta.prompt,
    experiment: null,
    attempts: meta.attempts,
    reasks: meta.reasks,
    fixes: meta.fixes,
    cache: null,
    usage: meta.usage === null ? null : {
      prompt_tokens: meta.usage.promptTokens,
      completion_tokens: meta.usage.completionTokens,
      total_tokens: meta.usage.totalTokens,
    },
    cost_usd: meta.costUsd,
    duration_ms: meta.durationMs,
  };
}
