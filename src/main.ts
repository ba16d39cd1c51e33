import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig, ProviderConfig, TierConfig } from './config/index.js';
import type { GatewayEvent, Provider } from './core/index.js';
import { createApp } from './http/index.js';
import { EventBus } from './lib/index.js';
import { createLogger } from './observability/index.js';
import type { Logger } from './observability/index.js';
import {
  ConfiguredModelPriceSource, KeyService, PolicyEngine, createGatewayAuthenticator, createJwtAuthenticator, mergeLimits,
} from './policies/index.js';
import type { LimitSet, ModelPricing } from './policies/index.js';
import { createAnthropicProvider, createGeminiProvider, createMockProvider, createOpenAIProvider } from './providers/index.js';
import { MemoryCircuitBreakerStore, ModelRegistry, buildDirectRoute, buildRoutes, summariseCircuits } from './routing/index.js';
import { MemoryKeyStore, MemoryLimitStore, RedisLimitStore, loadOrCreateAdminKey, stateDirectory } from './storage/index.js';
import type { LimitStore } from './storage/index.js';

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
  // The temporary price input: each public model's configured pricing.
  const prices = new Map<string, ModelPricing>();
  for (const model of config.models) {
    if (model.pricing !== undefined) {
      prices.set(model.name, {
        inputPerMtok: model.pricing.input_per_mtok,
        outputPerMtok: model.pricing.output_per_mtok,
        cachedInputPerMtok: model.pricing.cached_input_per_mtok,
      });
    }
  }
  const policies = new PolicyEngine({
    store: limitStore,
    prices: new ConfiguredModelPriceSource(prices),
    events,
    tiers,
    tenantLimits,
    endUserTier: config.limits.end_user_tier ?? null,
    defaultMaxOutputTokens: config.limits.default_max_output_tokens,
    leaseMs: config.limits.reservation_ttl_ms,
  });
  // Development store: keys live in this process until the database-backed KeyStore is wired.
  const keys = new KeyService({
    store: new MemoryKeyStore(),
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
    inference: { models, events, policies },
    models,
    readiness: async () => {
      const usesRedis = limitStore instanceof RedisLimitStore;
      const redisUp = usesRedis ? await limitStore.ping() : true;
      return {
        // A Redis outage makes the instance unready only when it would refuse requests (fail_closed).
        ready: redisUp || config.limits.redis_failure_mode === 'fail_open',
        checks: {
          ...(usesRedis ? { redis: { status: redisUp ? 'ok' : 'unreachable' } } : {}),
          providers: summariseCircuits(config.providers.map((provider) => provider.name), await breakers.snapshot(Date.now())),
        },
      };
    },
    logger,
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
    async listen(overrides = {}) {
      return app.listen({ host: overrides.host ?? config.server.host, port: overrides.port ?? config.server.port });
    },
    async close() {
      await app.close();
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
