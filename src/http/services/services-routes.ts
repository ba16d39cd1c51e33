import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import { runService } from '../../inference/index.js';
import type { RequestLifecycle, ServiceDependencies, ServiceErrorDetails, ServiceMeta, ServiceOutcome } from '../../inference/index.js';
import type { Authenticator } from '../../policies/index.js';
import { createAuthenticateHook } from '../authenticate.js';
import { registerInferenceRoute } from '../inference-shell.js';
import type { ShellDependencies } from '../inference-shell.js';
import { parseBody } from '../parse-body.js';
import type { WireFormat } from '../wire-format.js';

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

type RunBody = z.output<typeof runBodySchema> & { service: string };

/** What an error's envelope says besides the error: filled by the route, read by the wire format. */
const failures = new WeakMap<GatewayError, { service: string; details: ServiceErrorDetails | null; meta: ServiceMeta | null }>();

/** Services answer the envelope of CONTRACT §3.3, failures included (a bad key or body too). */
const SERVICES_WIRE: WireFormat = {
  name: 'services',
  errorBody: (error, requestId) => {
    const failure = failures.get(error);
    return envelopeOf(failure?.service ?? null, requestId, null, error, failure?.details ?? null, failure?.meta ?? null);
  },
  ownHeaders: () => ({}),
};

export interface ServicesRoutesOptions {
  services: ServiceDependencies;
  shell: ShellDependencies;
}

/**
 * Named AI services: `POST /v1/services/{name}/run` and `POST /v1/services/run` with `{"service"}`,
 * through the inference shell (one lifecycle, one log row, the usual headers), answering the
 * envelope with the error code's status.
 */
export async function servicesRoutes(app: FastifyInstance, options: ServicesRoutesOptions): Promise<void> {
  const { services, shell } = options;
  const run = async (lifecycle: RequestLifecycle, body: RunBody): Promise<{ kind: 'json'; body: string; staticFallback: false }> => {
    if (body.metadata !== undefined) lifecycle.metadata = { ...lifecycle.metadata, ...body.metadata };
    const outcome: ServiceOutcome = await runService(services, lifecycle, { service: body.service, input: body.input, options: body.options });
    if (!outcome.success) {
      failures.set(outcome.error, { service: outcome.service, details: outcome.details, meta: outcome.meta });
      throw outcome.error;
    }
    return { kind: 'json', body: JSON.stringify(envelopeOf(outcome.service, lifecycle.requestId, outcome, null, null, outcome.meta)), staticFallback: false };
  };

  registerInferenceRoute<RunBody>(app, shell, {
    url: '/v1/services/:name/run',
    endpoint: 'services.run',
    wire: SERVICES_WIRE,
    parse: (body, request) => {
      const name = nameParam(request);
      return withService(name, () => ({ ...parseBody(runBodySchema, body ?? {}), service: name }));
    },
    run: (lifecycle, body) => run(lifecycle, body),
  });

  registerInferenceRoute<RunBody>(app, shell, {
    url: '/v1/services/run',
    endpoint: 'services.run',
    wire: SERVICES_WIRE,
    parse: (body) => parseBody(singleEndpointSchema, body),
    run: (lifecycle, body) => run(lifecycle, body),
  });
}

/** `GET /v1/services`: the services the caller's key may run, with their schemas. */
export async function serviceListRoutes(app: FastifyInstance, options: { services: ServiceDependencies; authenticator: Authenticator }): Promise<void> {
  app.addHook('onRequest', createAuthenticateHook(options.authenticator));
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
}

function nameParam(request: FastifyRequest): string {
  const params = request.params;
  return params !== null && typeof params === 'object' && 'name' in params && typeof params.name === 'string' ? params.name : '';
}

/** Body errors of a named run still say which service they were for. */
function withService<T>(service: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof GatewayError) failures.set(error, { service, details: null, meta: null });
    throw error;
  }
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
    experiment: meta.experiment,
    attempts: meta.attempts,
    reasks: meta.reasks,
    fixes: meta.fixes,
    cache: meta.cache === null ? null : { status: meta.cache.status, age_s: meta.cache.ageS, origin_request_id: meta.cache.originRequestId },
    usage: meta.usage === null ? null : {
      prompt_tokens: meta.usage.promptTokens,
      completion_tokens: meta.usage.completionTokens,
      total_tokens: meta.usage.totalTokens,
    },
    cost_usd: meta.costUsd,
    duration_ms: meta.durationMs,
  };
}
