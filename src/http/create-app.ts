import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../core/index.js';
import type { InferenceDependencies, RequestLogQueries, ResponseState } from '../inference/index.js';
import { chooseRequestId } from '../lib/index.js';
import type { AdminSessions, Authenticator, CapUse, KeyService } from '../policies/index.js';
import type { ModelRegistry } from '../routing/index.js';
import type { ExperimentService } from '../services/index.js';
import { adminAlertRoutes } from './admin/admin-alert-routes.js';
import type { AlertsAdmin } from './admin/admin-alert-routes.js';
import { adminExperimentRoutes } from './admin/admin-experiment-routes.js';
import type { PromptRegistry } from '../services/index.js';
import type { CacheStore } from '../cache/index.js';
import { adminCacheRoutes } from './admin/admin-cache-routes.js';
import { adminCapRoutes } from './admin/admin-cap-routes.js';
import { adminHealthRoutes } from './admin/admin-health-routes.js';
import { adminKeyRoutes } from './admin/admin-key-routes.js';
import { adminPromptRoutes } from './admin/admin-prompt-routes.js';
import { adminRoutes } from './admin/admin-routes.js';
import { adminServiceRoutes } from './admin/admin-service-routes.js';
import { serviceListRoutes, servicesRoutes } from './services/services-routes.js';
import type { ServiceDependencies } from '../inference/index.js';
import { anthropicRoutes } from './anthropic/anthropic-routes.js';
import { ANTHROPIC_WIRE } from './anthropic/anthropic-wire-format.js';
import { createAdminAuthenticateHook } from './admin-session-auth.js';
import { createAuthenticateHook } from './authenticate.js';
import { feedbackRoutes } from './feedback-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { healthRoutes } from './health-routes.js';
import { jobRoutes } from './job-routes.js';
import type { JobRoutesOptions } from './job-routes.js';
import type { ReadinessReport } from './health-routes.js';
import { metricsRoutes } from './metrics-routes.js';
import type { MetricsSource } from './metrics-routes.js';
import type { ShellDependencies } from './inference-shell.js';
import { modelListRoutes, openaiRoutes } from './openai/openai-routes.js';
import { toOpenAIErrorBody } from './openai/to-openai-error.js';
import { responsesRoutes, storedResponseRoutes } from './responses/index.js';
import { toGatewayError } from './to-gateway-error.js';

export interface AppLogger {
  error(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface AppDependencies {
  server: {
    maxBodyBytes: number; trustProxy: boolean; corsOrigins: readonly string[];
    /** Whole request (headers and body) and headers alone must arrive within these; absent: 60 s and 20 s. */
    requestTimeoutMs?: number | undefined; headersTimeoutMs?: number | undefined;
  };
  authenticator: Authenticator;
  /** Virtual keys for /admin/api/keys. */
  keys: KeyService;
  inference: InferenceDependencies;
  models: ModelRegistry;
  readiness: () => Promise<ReadinessReport>;
  logger: AppLogger;
  /** The request log behind /admin/api/logs and /admin/api/analytics. */
  requestLog?: RequestLogQueries | undefined;
  /** Prometheus text for GET /metrics. */
  metrics?: MetricsSource | undefined;
  /** Image and video jobs (/v1/videos, /v1/images/generations, /v1/jobs). */
  jobs?: JobRoutesOptions | undefined;
  /** GET /metrics asks for a key (`metrics.require_auth`). */
  metricsRequireAuth?: boolean | undefined;
  /** Alert rules and channels for /admin/api/alerts; absent when none are configured. */
  alerts?: AlertsAdmin | undefined;
  /** Stored responses for /v1/responses. */
  responses: ResponseState;
  /** A/B experiments for /admin/api/experiments. */
  experiments?: ExperimentService | undefined;
  /** The prompt registry: /admin/api/prompts, and prompts applied on chat endpoints. */
  prompts?: PromptRegistry | undefined;
  /** Named AI services (/v1/services, /admin/api/services). */
  services?: ServiceDependencies | undefined;
  /** The response cache's entries, for /admin/api/cache. */
  cacheStore?: CacheStore | undefined;
  /** Provider, model and target caps with their use, for GET /admin/api/caps; none when absent. */
  caps?: (() => Promise<CapUse[]>) | undefined;
  /** Dashboard sign-in (/dashboard); the admin API then also takes its session cookie. */
  dashboard?: { sessions: AdminSessions; assetsDirectory?: string | undefined } | undefined;
}

const EXPOSED_HEADERS = [
  'x-request-id', 'x-sluice-provider', 'x-sluice-model', 'x-sluice-attempts', 'x-sluice-cache', 'x-sluice-cache-age', 'x-sluice-cache-similarity', 'retry-after',
  'x-sluice-attempt-trail', 'x-sluice-fallback', 'x-sluice-prompt-version', 'x-sluice-json-fixes', 'retry-after-ms', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens', 'request-id', 'x-sluice-token-count',
  'x-sluice-experiment', 'x-sluice-variant',
].join(', ');

/** Builds the HTTP server: every route, the key check, request ids and the error shape. */
export async function createApp(dependencies: AppDependencies): Promise<FastifyInstance> {
  const requestTimeout = dependencies.server.requestTimeoutMs ?? 60_000;
  const headersTimeout = Math.min(dependencies.server.headersTimeoutMs ?? 20_000, requestTimeout);
  const app = Fastify({
    // No slowloris: a connection that trickles its headers or body is closed (408) once these
    // pass, whoever sent it and whether or not it carries a key. They end when the request has
    // arrived, so a long streamed answer is never cut by them. Node checks them on an interval
    // (30 s by default), tightened here so that short timeouts are kept close to their value.
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout,
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))),
    },
    bodyLimit: dependencies.server.maxBodyBytes,
    trustProxy: dependencies.server.trustProxy,
    genReqId: (request) => chooseRequestId(request.headers['x-request-id']),
    keepAliveTimeout: 72_000,
    forceCloseConnections: 'idle',
    // While draining, inference requests still get an answer in their API's shape, a request id
    // and a log row (the shell's 503), never Fastify's own.
    return503OnClosing: false,
    // Bodies are checked with zod at the edge; no route has a Fastify schema. Without these
    // factories Fastify loads ajv and fast-json-stringify (about 100 modules) for nothing.
    schemaController: { compilersFactory: { buildValidator: () => refuseSchemas, buildSerializer: () => refuseSchemas } },
  });
  const startedAt = Math.floor(Date.now() / 1000);
  const onError = (error: GatewayError, requestId: string): void => {
    if (error.status >= 500 && error.code === 'internal_error') {
      dependencies.logger.error({ requestId, err: error.cause ?? error }, 'request failed');
    } else if (error.status >= 500) {
      dependencies.logger.warn({ requestId, code: error.code, message: error.message }, 'request failed');
    }
  };

  app.decorateRequest('principal', null);
  // Admin and other JSON routes: any content type is read as JSON (`curl -d` sends form encoding by default).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(typeof body === 'string' ? body : body.toString('utf8')));
    } catch {
      done(new GatewayError('invalid_json', 'We could not parse the JSON body of your request.'), undefined);
    }
  });

  // Graceful close: server.close() only drops connections idle at that moment, so keep-alive
  // connections that finish their request later would hold the close open until their keep-alive
  // timeout (72 s). While closing, idle sockets are swept every 50 ms; in-flight ones finish first.
  let closing = false;
  let sweeper: NodeJS.Timeout | null = null;
  app.addHook('preClose', async () => {
    closing = true;
    sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
    sweeper.unref();
  });
  app.addHook('onClose', async () => {
    if (sweeper !== null) clearInterval(sweeper);
  });

  const corsOrigins = new Set(dependencies.server.corsOrigins);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    // Draining: tell keep-alive clients to reconnect (to another instance) after this answer.
    if (closing) reply.header('connection', 'close');
    if (corsOrigins.size > 0) applyCors(corsOrigins, request.headers.origin, reply);
    done();
  });
  if (corsOrigins.size > 0) {
    app.options('*', async (_request, reply) => reply.code(204).send());
  }

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const error = new GatewayError('not_found', `Unknown request URL: ${request.method} ${path}.`);
    // Anthropic SDKs parse errors on their own routes in Anthropic's shape.
    if (path.startsWith('/v1/messages')) reply.code(404).headers(ANTHROPIC_WIRE.ownHeaders(request.id)).send(ANTHROPIC_WIRE.errorBody(error, request.id));
    else reply.code(404).send(toOpenAIErrorBody(error));
  });
  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error, request.id);
    onError(gatewayError, request.id);
    reply.code(gatewayError.status).send(toOpenAIErrorBody(gatewayError));
  });

  await app.register(healthRoutes, { readiness: dependencies.readiness });
  if (dependencies.metrics !== undefined) {
    const authenticate = dependencies.metricsRequireAuth === true ? createAuthenticateHook(dependencies.authenticator) : null;
    await app.register(metricsRoutes, { metrics: dependencies.metrics, authenticate });
  }
  const sessions = dependencies.dashboard?.sessions ?? null;
  if (dependencies.dashboard !== undefined) await app.register(dashboardRoutes, dependencies.dashboard);
  const requestLog = dependencies.requestLog;
  if (requestLog !== undefined) {
    await app.register(async (scope) => {
      scope.addHook('onRequest', createAdminAuthenticateHook(dependencies.authenticator, sessions));
      await scope.register(adminRoutes, { requestLog });
      if (dependencies.prompts !== undefined) await scope.register(adminPromptRoutes, { prompts: dependencies.prompts });
      const cacheStore = dependencies.cacheStore;
      if (cacheStore !== undefined) await scope.register(adminCacheRoutes, { store: cacheStore, requestLog, clock: () => dependencies.inference.clock.now() });
    });
  }
  const shell: ShellDependencies = {
    lifecycle: dependencies.inference,
    authenticator: dependencies.authenticator,
    maxBodyBytes: dependencies.server.maxBodyBytes,
    refuseEarly: dependencies.inference.policies.refuseEarly?.bind(dependencies.inference.policies),
    closing: () => closing,
    onError,
    prompts: dependencies.prompts,
    experiments: dependencies.experiments,
  };
  await app.register(async (scope) => {
    // The shell reads inference bodies itself, after the key check.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    await scope.register(openaiRoutes, { inference: dependencies.inference, shell, models: dependencies.models, startedAt });
    await scope.register(anthropicRoutes, { inference: dependencies.inference, shell });
    await scope.register(responsesRoutes, { inference: dependencies.inference, shell, state: dependencies.responses });
  });
  const jobs = dependencies.jobs;
  if (jobs !== undefined) {
    await app.register(async (scope) => {
      scope.addHook('onRequest', createAuthenticateHook(dependencies.authenticator));
      await scope.register(jobRoutes, { ...jobs, onError });
    });
  }
  const services = dependencies.services;
  if (services !== undefined) {
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      await scope.register(servicesRoutes, { services, shell });
    });
    await app.register(serviceListRoutes, { services, authenticator: dependencies.authenticator });
    await app.register(async (scope) => {
      scope.addHook('onRequest', createAuthenticateHook(dependencies.authenticator));
      await scope.register(adminServiceRoutes, { catalog: services.catalog });
    });
  }
  await app.register(async (scope) => {
    scope.addHook('onRequest', createAdminAuthenticateHook(dependencies.authenticator, sessions));
    await scope.register(modelListRoutes, { models: dependencies.models, startedAt });
    await scope.register(adminKeyRoutes, { keys: dependencies.keys });
    await scope.register(adminAlertRoutes, { alerts: dependencies.alerts ?? null });
    await scope.register(adminCapRoutes, { caps: dependencies.caps ?? (async () => []) });
    await scope.register(storedResponseRoutes, { state: dependencies.responses });
    const experiments = dependencies.experiments;
    if (experiments !== undefined) {
      await scope.register(adminExperimentRoutes, { experiments });
      await scope.register(feedbackRoutes, { experiments });
    }
    await scope.register(adminHealthRoutes, { readiness: dependencies.readiness });
  });
  return app;
}

/** Fastify schemas are not used here; a route that declares one fails at startup rather than going unchecked. */
function refuseSchemas(): never {
  throw new Error('Fastify route schemas are not used in Sluice: validate with zod at the edge.');
}

function applyCors(origins: ReadonlySet<string>, origin: string | undefined, reply: { header(name: string, value: string): unknown }): void {
  if (origin === undefined || (!origins.has(origin) && !origins.has('*'))) return;
  reply.header('access-control-allow-origin', origins.has('*') ? '*' : origin);
  reply.header('vary', 'origin');
  reply.header('access-control-allow-headers', 'authorization, content-type, x-api-key, x-request-id, x-sluice-user, x-sluice-metadata, x-sluice-session, x-sluice-variant, anthropic-version, anthropic-beta');
  reply.header('access-control-allow-headers', 'authorization, content-type, x-api-key, x-request-id, x-sluice-user, x-sluice-metadata, x-sluice-prompt, x-sluice-json-repair, x-sluice-cache-ttl, x-sluice-cache-namespace, cache-control, anthropic-version, anthropic-beta');
  reply.header('access-control-allow-methods', 'GET, POST, PATCH, DELETE, OPTIONS');
  reply.header('access-control-expose-headers', EXPOSED_HEADERS);
}
