import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig, ProviderConfig, TierConfig } from './config/index.js';
import type { GatewayEvent, Provider } from './core/index.js';
import { createApp } from './http/index.js';
import { RequestLogQueries } from './inference/index.js';
import { EventBus } from './lib/index.js';
import { RequestLogWriter, RetentionSweeper, createLogger, createMetrics } from './observability/index.js';
import type { GatewayMetrics, Logger } from './observability/index.js';
import {
  KeyService, PolicyEngine, TablePriceSource, createGatewayAuthenticator, createJwtAuthenticator, mergeLimits,
} from './policies/index.js';
import type { LimitSet, ModelPricing } from './policies/index.js';
import { createPricer } from './pricing/index.js';
import type { ModelPrice, Pricer } from './pricing/index.js';
import { createAnthropicProvider, createGeminiProvider, createMockProvider, createOpenAIProvider } from './providers/index.js';
import { MemoryCircuitBreakerStore, ModelRegistry, buildDirectRoute, buildRoutes, summariseCircuits } from './routing/index.js';
import { MemoryLimitStore, RedisLimitStore, loadOrCreateAdminKey, openDatabase, stateDirectory } from './storage/index.js';
import type { Database, LimitStore } from './storage/index.js';

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
  /** Virtual keys (admin operations and verification). */
  readonly keys: KeyService;
  /** Decisions taken with local limits because Redis failed (fail_open), since start. */
  readonly limitStoreFailOpenCount: () => number;
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

  const tiers = new Map(Object.entries(config.tiers).map(([tierName, tier]) => [tierName, toLimitSet(tier)]));
  const tenantLimits = new Map(Object.entries(config.limits.tenants).map(([tenant, settings]) => [
    tenant, mergeLimits(settings.tier === undefined ? undefined : tiers.get(settings.tier), toLimitSet(settings)),
  ]));
  let failOpenCount = 0;
  let failOpenLoggedAt = 0;
  const limitStore: LimitStore = config.limits.store === 'memory' || (config.limits.store === 'auto' && config.storage.redis_url === '')
    ? new MemoryLimitStore()
    : new RedisLimitStore({
      url: config.storage.redis_url,
      commandTimeoutMs: config.limits.redis_timeout_ms,
      failureMode: config.limits.redis_failure_mode,
      onFailOpen: (operation, error) => {
        failOpenCount++;
        events.emit({ type: 'limit-store-fail-open', operation });
        // Every decision is counted; the log says so at most once a second.
        const now = Date.now();
        if (now - failOpenLoggedAt >= 1000) {
          failOpenLoggedAt = now;
          logger.warn({ operation, failOpenTotal: failOpenCount, err: error }, 'Redis limit store failed; deciding with local limits (fail_open)');
        }
      },
    });
  // Budgets use the shared price table (config overrides first), like the request log.
  const overrides = new Map<string, ModelPricing>();
  for (const model of config.models) {
    if (model.pricing !== undefined) {
      overrides.set(model.name, {
        inputPerMtok: model.pricing.input_per_mtok,
        outputPerMtok: model.pricing.output_per_mtok,
        cachedInputPerMtok: model.pricing.cached_input_per_mtok,
      });
    }
  }
  const prices = new TablePriceSource({
    overrides,
    providerTypes: new Map(config.providers.map((provider) => [provider.name, provider.type])),
    targets: reachableTargets(config),
  });
  const policies = new PolicyEngine({
    store: limitStore,
    prices,
    events,
    tiers,
    tenantLimits,
    endUserTier: config.limits.end_user_tier ?? null,
    defaultMaxOutputTokens: config.limits.default_max_output_tokens,
    leaseMs: config.limits.reservation_ttl_ms,
  });
  const keys = new KeyService({
    store: database.keys,
    tiers,
    cacheTtlMs: config.auth.key_cache_ttl_ms,
    onBackgroundError: (error) => logger.warn({ err: error }, 'recording a key\'s last use failed'),
  });
  const jwt = config.auth.jwt;
  const authenticator = createGatewayAuthenticator({
    masterKey: adminKey,
    keys,
    jwt: jwt === undefined ? null : createJwtAuthenticator({
      secret: jwt.secret, jwksUrl: jwt.jwks_url, issuer: jwt.issuer, audience: jwt.audience, claims: jwt.claims, tiers,
    }),
  });

  const app = await createApp({
    server: {
      maxBodyBytes: config.server.max_body_bytes,
      trustProxy: config.server.trust_proxy,
      corsOrigins: config.server.cors_origins,
    },
    authenticator,
    keys,
    inference: { models, events, policies, pricer, logBodies: config.logging.log_bodies },
    models,
    readiness: async () => {
      const databaseStatus = await checkDatabase(database);
      const usesRedis = limitStore instanceof RedisLimitStore;
      const redisUp = usesRedis ? await limitStore.ping() : true;
      return {
        // A Redis outage makes the instance unready only when it would refuse requests (fail_closed).
        ready: databaseStatus === 'ok' && (redisUp || config.limits.redis_failure_mode === 'fail_open'),
        checks: {
          database: { status: databaseStatus },
          redis: { status: usesRedis ? (redisUp ? 'ok' : 'unreachable') : 'not_configured' },
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
    keys,
    limitStoreFailOpenCount: () => failOpenCount,
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
      await limitStore.close();
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

function toLimitSet(tier: TierConfig): LimitSet {
  return {
    rpm: tier.rpm,
    tpm: tier.tpm,
    maxConcurrent: tier.max_concurrent,
    requestsPerDay: tier.requests_per_day,
    requestsPerMonth: tier.requests_per_month,
    tokensPerDay: tier.tokens_per_day,
    tokensPerMonth: tier.tokens_per_month,
    budgetUsd: tier.budget_usd,
    budgetPeriod: tier.budget_period,
    maxInputTokens: tier.max_input_tokens,
    maxInputCharacters: tier.max_input_characters,
  };
}

function resolveAdminKey(config: GatewayConfig, cwd: string): { key: string; generated: boolean } {
  if (config.auth.master_key !== undefined) return { key: config.auth.master_key, generated: false };
  if (config.environment !== 'development') {
    throw new Error('auth.master_key is required unless environment is development');
  }
  const { key } = loadOrCreateAdminKey(join(stateDirectory(config.storage.database_url, cwd), 'admin-key'));
  return { key, generated: true };
}

/** Every provider model a public model may reach: its targets, then its fallback models' (recursively). */
function reachableTargets(config: GatewayConfig): Map<string, Array<{ provider: string; model: string }>> {
  const byName = new Map(config.models.map((model) => [model.name, model]));
  const reachable = new Map<string, Array<{ provider: string; model: string }>>();
  for (const model of config.models) {
    const seen = new Set<string>();
    const targets: Array<{ provider: string; model: string }> = [];
    const visit = (name: string): void => {
      const entry = byName.get(name);
      if (entry === undefined || seen.has(name)) return;
      seen.add(name);
      for (const target of entry.targets) targets.push({ provider: target.provider, model: target.model });
      for (const fallback of entry.fallback_models) visit(fallback);
    };
    visit(model.name);
    reachable.set(model.name, targets);
  }
  return reachable;
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
