import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig, ProviderConfig } from './config/index.js';
import type { GatewayEvent, Provider } from './core/index.js';
import { createApp } from './http/index.js';
import { RequestLogQueries } from './inference/index.js';
import { EventBus } from './lib/index.js';
import { RequestLogWriter, RetentionSweeper, createLogger, createMetrics } from './observability/index.js';
import type { GatewayMetrics, Logger } from './observability/index.js';
import { createMasterKeyAuthenticator } from './policies/index.js';
import { createPricer } from './pricing/index.js';
import type { ModelPrice, Pricer } from './pricing/index.js';
import { createAnthropicProvider, createGeminiProvider, createMockProvider, createOpenAIProvider } from './providers/index.js';
import { MemoryCircuitBreakerStore, ModelRegistry, buildDirectRoute, buildRoutes, summariseCircuits } from './routing/index.js';
import { loadOrCreateAdminKey, openDatabase, stateDirectory } from './storage/index.js';
import type { Database } from './storage/index.js';

export interface GatewayOptions {
  /** Where relative paths in the config resolve; defaults to the process's cwd. */
  cwd?: string;
  logger?: Logger;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly config: GatewayConfig;
  /** The key that opens everything: the master key, or the generated development admin key. */
  readonly adminKey: string;
  /** True when the admin key was generated (development without a master key). */
  readonly adminKeyGenerated: boolean;
  readonly events: EventBus<GatewayEvent>;
  readonly logger: Logger;
  readonly database: Database;
  readonly metrics: GatewayMetrics;
  readonly pricer: Pricer;
  /** Writes every request-log row queued so far (tests and shutdown). */
  flushRequestLog(): Promise<void>;
  /** Starts listening; resolves with the base URL. */
  listen(overrides?: { host?: string; port?: number }): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, then releases every resource. */
  close(): Promise<void>;
}

type ClosableProvider = Provider & { close?: () => Promise<void> };

/** The composition root: the only place that picks concrete implementations. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const cwd = options.cwd ?? process.cwd();
  const logger = options.logger ?? createLogger({
    level: config.logging.level,
    pretty: config.logging.pretty ?? (config.environment === 'development' && process.stdout.isTTY === true),
  });
  const { key: adminKey, generated } = resolveAdminKey(config, cwd);
  const events = new EventBus<GatewayEvent>((error) => logger.error({ err: error }, 'event subscriber failed'));
  const metrics = createMetrics();
  const pricer = createGatewayPricer(config, metrics, logger);

  const database = openDatabase(config.storage.database_url, {
    cwd,
    onError: (error) => logger.warn({ err: error }, 'database connection error'),
  });
  let closed = false;
  const migrated = migrateInBackground(database, logger, () => closed);
  await Promise.race([migrated, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  const requestLogSettings = config.logging.request_log;
  const writer = new RequestLogWriter({
    store: database.requestLog,
    spillDirectory: stateDirectory(config.storage.database_url, cwd),
    flushIntervalMs: requestLogSettings.flush_interval_ms,
    batchSize: requestLogSettings.batch_size,
    maxQueueRows: requestLogSettings.max_queue_rows,
    logger,
    metrics,
  });
  if (requestLogSettings.enabled) {
    events.subscribe(writer.handle);
    writer.start();
  }
  const sweeper = config.logging.retention_days > 0
    ? new RetentionSweeper({ store: database.requestLog, retentionDays: config.logging.retention_days, logger })
    : null;
  sweeper?.start();

  const providers = new Map<string, ClosableProvider>();
  for (const settings of config.providers) providers.set(settings.name, createProvider(settings));
  const breakers = new MemoryCircuitBreakerStore();
  const routes: Map<string, Provider> = buildRoutes(config.models, { providers, breakers, events });
  const models = new ModelRegistry({
    routes,
    providers,
    advertised: new Map(config.providers.map((provider) => [provider.name, provider.models])),
    allowDirectModels: config.allow_direct_models,
    directRoute: (provider, model) => buildDirectRoute(provider, model, { providers, breakers, events }),
  });

  const app = await createApp({
    server: {
      maxBodyBytes: config.server.max_body_bytes,
      trustProxy: config.server.trust_proxy,
      corsOrigins: config.server.cors_origins,
    },
    authenticator: createMasterKeyAuthenticator(adminKey),
    inference: { models, events, pricer, logBodies: config.logging.log_bodies },
    models,
    readiness: async () => {
      const databaseStatus = await checkDatabase(database);
      return {
        ready: databaseStatus === 'ok',
        checks: {
          database: { status: databaseStatus },
          providers: summariseCircuits(config.providers.map((provider) => provider.name), await breakers.snapshot(Date.now())),
        },
      };
    },
    logger,
    requestLog: new RequestLogQueries(database.requestLog),
    metrics: { contentType: metrics.registry.contentType, render: () => metrics.registry.metrics() },
  });

  return {
    app,
    config,
    adminKey,
    adminKeyGenerated: generated,
    events,
    logger,
    database,
    metrics,
    pricer,
    flushRequestLog: () => writer.flush(),
    async listen(overrides = {}) {
      return app.listen({ host: overrides.host ?? config.server.host, port: overrides.port ?? config.server.port });
    },
    async close() {
      closed = true;
      await app.close();
      // Every request has now reported; write every row before the database goes.
      await writer.close();
      await sweeper?.stop();
      await database.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the database failed'));
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
      logger.flush();
    },
  };
}

function createProvider(settings: ProviderConfig): ClosableProvider {
  switch (settings.type) {
    case 'openai':
      return createOpenAIProvider({
        name: settings.name,
        baseUrl: settings.base_url ?? 'https://api.openai.com/v1',
        apiKey: settings.api_key,
        headers: settings.headers,
        timeoutMs: settings.timeout_ms,
        maxConnections: settings.max_connections,
      });
    case 'mock':
      return createMockProvider({ name: settings.name });
    case 'anthropic':
      return createAnthropicProvider({
        name: settings.name,
        baseUrl: settings.base_url ?? 'https://api.anthropic.com',
        apiKey: settings.api_key,
        headers: settings.headers,
        version: settings.anthropic_version,
        defaultMaxTokens: settings.default_max_tokens,
        timeoutMs: settings.timeout_ms,
        maxConnections: settings.max_connections,
      });
    case 'gemini':
      return createGeminiProvider({
        name: settings.name,
        baseUrl: settings.base_url ?? 'https://generativelanguage.googleapis.com',
        apiKey: settings.api_key,
        headers: settings.headers,
        timeoutMs: settings.timeout_ms,
        maxConnections: settings.max_connections,
      });
  }
}

function resolveAdminKey(config: GatewayConfig, cwd: string): { key: string; generated: boolean } {
  if (config.auth.master_key !== undefined) return { key: config.auth.master_key, generated: false };
  if (config.environment !== 'development') {
    throw new Error('auth.master_key is required unless environment is development');
  }
  const { key } = loadOrCreateAdminKey(join(stateDirectory(config.storage.database_url, cwd), 'admin-key'));
  return { key, generated: true };
}

function createGatewayPricer(config: GatewayConfig, metrics: GatewayMetrics, logger: Logger): Pricer {
  const overrides = new Map<string, ModelPrice>();
  for (const model of config.models) {
    if (model.pricing === undefined) continue;
    overrides.set(model.name, {
      inputPerMtok: model.pricing.input_per_mtok,
      outputPerMtok: model.pricing.output_per_mtok,
      cachedInputPerMtok: model.pricing.cached_input_per_mtok,
      cacheWritePerMtok: model.pricing.cache_write_per_mtok,
    });
  }
  return createPricer({
    providerTypes: new Map(config.providers.map((provider) => [provider.name, provider.type])),
    overrides,
    onUnpriced(provider, model, first) {
      metrics.unpricedCalls.inc({ provider, model });
      if (first) logger.warn({ provider, model }, 'no price for this model: its calls cost 0 (set models[].pricing to price it)');
    },
  });
}

/** Applies migrations, retrying while the database is unreachable (rows spill to disk meanwhile). */
async function migrateInBackground(database: Database, logger: Logger, stopped: () => boolean): Promise<void> {
  for (let attempt = 1; !stopped(); attempt += 1) {
    try {
      const applied = await database.migrate();
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
      return;
    } catch (error) {
      if (attempt === 1) logger.error({ err: error }, 'database migration failed; retrying every 5 s');
      await new Promise((resolve) => setTimeout(resolve, 5000).unref());
    }
  }
}

async function checkDatabase(database: Database): Promise<'ok' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      database.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), 2000);
      }),
    ]);
    return 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}
