import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from './config/index.js';
import type { GatewayEvent } from './core/index.js';
import { createCaching } from './cache/index.js';
import { createApp, toWireCapUse } from './http/index.js';
import { createGatewayJobs } from './jobs/index.js';
import type { Jobs } from './jobs/index.js';
import { RequestLogQueries, createResponseState } from './inference/index.js';
import { EventBus, systemClock } from './lib/index.js';
import type { Clock, Random } from './lib/index.js';
import { createLogger, createMetrics, createObservability, SeriesCap } from './observability/index.js';
import type { GatewayMetrics, Logger } from './observability/index.js';
import { AdminSessions, ProviderCaps, createAuthentication, createPolicies, createProviderCaps, createTierTable } from './policies/index.js';
import type { KeyService } from './policies/index.js';
import { createPricing } from './pricing/index.js';
import { ExperimentService } from './services/index.js';
import type { PriceBook } from './pricing/index.js';
import { createJobProvider, createProviders } from './providers/index.js';
import { MemoryCircuitBreakerStore, createRouting, summariseCircuits } from './routing/index.js';
import { ServiceCatalog, createPromptRegistry, createWinnerPromoter } from './services/index.js';
import {
  DisabledPromptChangeFeed, RedisPromptChangeFeed, SingletonLease, createAdminSessionStore, createCacheStore, isRedisCluster,
  createCircuitBreakerStore, createLeaseStore, createLimitStore, developmentAdminKey, openStorage,
} from './storage/index.js';
import type { CacheStore, Database } from './storage/index.js';

export interface GatewayOptions {
  /** Where relative paths in the config resolve; defaults to the process's cwd. */
  cwd?: string;
  logger?: Logger;
  /** Time for the whole gateway (lifecycles, routing, limits); tests pass a manual clock. */
  clock?: Clock;
  /** Randomness for backoff jitter and load balancing. */
  random?: Random;
  /** Set in a worker of `sluice start --workers N`: /metrics then shows the whole process group. */
  clusterWorker?: boolean;
  /** Where the built dashboard is (index.html, assets/); default dist/web of this package. */
  dashboardAssetsDirectory?: string;
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
  readonly priceBook: PriceBook;
  /** Image and video jobs: the service, this instance's poller and webhook deliverer. */
  readonly jobs: Jobs;
  /** A/B experiments: definitions, lifecycle, assignment, results. */
  readonly experiments: ExperimentService;
  /** Settles once the config's experiments are synced and the running ones loaded. */
  readonly experimentsReady: Promise<void>;
  /** The response cache's entries (memory, the database or Redis). */
  readonly cacheStore: CacheStore;
  /** Writes every request-log row queued so far (tests and shutdown). */
  flushRequestLog(): Promise<void>;
  /** Starts listening; resolves with the base URL. */
  listen(overrides?: { host?: string; port?: number }): Promise<string>;
  /** Stops accepting, lets in-flight requests finish, then releases every resource. */
  close(): Promise<void>;
}

/** A fail-open decision is counted every time but logged at most this often. */
const FAIL_OPEN_LOG_INTERVAL_MS = 1000;
/** How often stored responses past `responses.retention_days` are deleted. */
const RESPONSE_SWEEP_INTERVAL_MS = 3_600_000;
/** A dashboard session unused this long is over. */
const DASHBOARD_IDLE_MS = 3_600_000;
/** A readiness probe gives up on the database after this long. */
const READINESS_DATABASE_TIMEOUT_MS = 2000;

/** The composition root: the only place that picks concrete implementations. */
export async function createGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const cwd = options.cwd ?? process.cwd();
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? createLogger({
    level: config.logging.level,
    pretty: config.logging.pretty ?? (config.environment === 'development' && process.stdout.isTTY === true),
  });
  const adminKey = config.auth.master_key ?? developmentAdminKey(config.storage.database_url, cwd);
  const events = new EventBus<GatewayEvent>((error) => logger.error({ err: error }, 'event subscriber failed'));
  const metrics = createMetrics();

  const storage = await openStorage({
    databaseUrl: config.storage.database_url,
    cwd,
    onError: (error) => logger.warn({ err: error }, 'database connection error'),
    onMigrationError: (error) => logger.error({ err: error }, 'database migration failed; retrying every 5 s'),
    onMigrated: (applied) => logger.info({ migrations: applied }, 'database migrated'),
  });
  const { database } = storage;
  // "Exactly one instance does this now": through Redis when the fleet has one, else the database.
  const leases = createLeaseStore({ redisUrl: config.storage.redis_url, redisTimeoutMs: config.limits.redis_timeout_ms, database: database.leases });
  const retentionLease = new SingletonLease({
    store: leases, name: 'retention-sweeper', clock, onError: (error) => logger.warn({ err: error }, 'renewing the retention lease failed'),
  });
  if (config.logging.retention_days > 0) {
    await retentionLease.tick();
    retentionLease.start();
  }
  const observability = await createObservability({
    retentionLease,
    requestLog: config.logging.request_log,
    retentionDays: config.logging.retention_days,
    store: database.requestLog,
    probeDatabase: () => database.ping(),
    spillDirectory: storage.stateDirectory,
    events,
    logger,
    metrics,
    metricsConfig: config.metrics,
    health: config.health,
    tracing: config.tracing,
    models: config.models.map((model) => model.name),
    providers: config.providers,
    clusterWorker: options.clusterWorker,
    dependenciesUp: async () => (await readiness()).ready,
    alerts: config.alerts,
    outbox: database.webhookOutbox,
    leases,
    alertStates: database.alertStates,
    clock,
  });

  const providers = createProviders(config.providers);
  const breakerSettings = config.storage.circuit_breakers;
  const breakers = createCircuitBreakerStore({
    store: breakerSettings.store, redisUrl: config.storage.redis_url, fallback: breakerSettings.fallback, cacheMs: breakerSettings.cache_ms,
    redisTimeoutMs: breakerSettings.redis_timeout_ms, local: new MemoryCircuitBreakerStore(),
    onFallback: (error) => logger.warn({ err: error, fallback: breakerSettings.fallback }, 'Redis circuit-breaker store failed; using the fallback for 1 s'),
  });
  // Direct routes let clients name any model: its series are capped like every other metric's.
  const unpricedSeries = new SeriesCap((values) => metrics.unpricedCalls.labels(...values), config.metrics.max_series_per_metric, 2);
  const priceBook = createPricing({
    models: config.models,
    providers: config.providers,
    onUnpriced(provider, model, first) {
      unpricedSeries.get([provider, model]).inc();
      if (first) logger.warn({ provider, model }, 'no price for this model: its calls cost 0 (set models[].pricing to price it)');
    },
  });

  let failOpenCount = 0;
  let failOpenLoggedAt = Number.NEGATIVE_INFINITY;
  const limits = createLimitStore({
    store: config.limits.store,
    redisUrl: config.storage.redis_url,
    redisTimeoutMs: config.limits.redis_timeout_ms,
    failureMode: config.limits.redis_failure_mode,
    onFailOpen: (operation, error) => {
      failOpenCount++;
      events.emit({ type: 'limit-store-fail-open', operation });
      const now = clock.now();
      if (now - failOpenLoggedAt >= FAIL_OPEN_LOG_INTERVAL_MS) {
        failOpenLoggedAt = now;
        logger.warn({ operation, failOpenTotal: failOpenCount, err: error }, 'Redis limit store failed; deciding with local limits (fail_open)');
      }
    },
  });
  const tiers = createTierTable(config.tiers);
  let staleKeyLoggedAt = Number.NEGATIVE_INFINITY;
  const policies = createPolicies({
    tiers: config.tiers, limits: config.limits, store: limits.store, prices: priceBook, events, clock: () => clock.now(),
  }, tiers);
  // Supply-side caps reserve and settle in the same limit store as key budgets (docs/provider-caps.md).
  const caps = createProviderCaps({ providers: config.providers, models: config.models }, {
    store: limits.store, prices: priceBook, events, leaseMs: config.limits.reservation_ttl_ms,
    defaultMaxOutputTokens: config.limits.default_max_output_tokens, clock: () => clock.now(),
  });
  const routing = createRouting({
    breakers,
    models: config.models,
    providers,
    advertised: new Map(config.providers.map((provider) => [provider.name, provider.models])),
    allowDirectModels: config.allow_direct_models,
    events,
    clock,
    random,
    caps,
    concurrency: config.providers.flatMap((provider) => (provider.max_concurrent === undefined ? [] : [{
      provider: provider.name, maxConcurrent: provider.max_concurrent, maxQueueWaitMs: provider.max_queue_wait_ms,
    }])),
  });
  const { keys, authenticator } = createAuthentication({
    adminKey,
    keyStore: database.keys,
    tiers,
    keyCacheTtlMs: config.auth.key_cache_ttl_ms,
    keyStaleIfErrorMs: config.auth.key_stale_if_error_ms,
    clock: () => clock.now(),
    onStaleKey: (error) => {
      const now = clock.now();
      if (now - staleKeyLoggedAt < FAIL_OPEN_LOG_INTERVAL_MS) return;
      staleKeyLoggedAt = now;
      logger.warn({ err: error }, 'the key store failed; serving verified keys from the cache (stale-if-error)');
    },
    jwt: config.auth.jwt,
    onBackgroundError: (error) => logger.warn({ err: error }, 'recording a key\'s last use failed'),
  });

  const jobs = createGatewayJobs({
    config: config.jobs, providers: config.providers, allowDirectModels: config.allow_direct_models, createJobProvider,
    maxUploadBytes: config.server.max_body_bytes,
    store: database.jobs, outbox: database.webhookOutbox, policies, caps, events, logger, registry: metrics.registry, clock, random,
    otherSecrets: (secretRef) => observability.webhookSecrets(secretRef),
    digest: (messages) => observability.webhookDigest(messages),
  });
  const prompts = createPromptRegistry({
    store: database.prompts,
    // The change feed speaks to one Redis; on a Redis Cluster (or without Redis) instances converge
    // through the registry's cache TTL instead.
    feed: config.storage.redis_url === '' || isRedisCluster(config.storage.redis_url)
      ? new DisabledPromptChangeFeed()
      : new RedisPromptChangeFeed({ url: config.storage.redis_url }),
    cacheTtlMs: config.prompts_cache_ttl_s * 1000,
    definitions: config.prompts,
    directory: config.prompts_dir === undefined ? null : resolve(cwd, config.prompts_dir),
    logger,
  });
  await prompts.start(storage.migrated);
  async function readiness(): Promise<{ ready: boolean; checks: Record<string, unknown> }> {
    const reachable = await checkDatabase(database);
    // Not ready before the migrations are in: the tables a request writes to may not exist yet.
    const databaseStatus = reachable === 'ok' && !storage.isMigrated() ? 'migrating' : reachable;
    const redisUp = limits.ping === null ? true : await limits.ping();
    return {
      // A Redis outage makes the instance unready only when it would refuse requests (fail_closed).
      ready: databaseStatus === 'ok' && (redisUp || config.limits.redis_failure_mode === 'fail_open'),
      checks: {
        database: { status: databaseStatus },
        redis: { status: limits.ping === null ? 'not_configured' : redisUp ? 'ok' : 'unreachable' },
        prompts: { status: prompts.registry.health().status, feed: prompts.registry.health().feed },
      },
    };
  }
  const sessionStore = createAdminSessionStore({
    redisUrl: config.storage.redis_url, redisTimeoutMs: config.limits.redis_timeout_ms, idleMs: DASHBOARD_IDLE_MS, database: database.adminSessions,
  });
  const sessions = new AdminSessions({ store: sessionStore, authenticator, keys, clock: () => clock.now(), idleMs: DASHBOARD_IDLE_MS });
  const responses = createResponseState(config.responses, database, clock);
  const serviceCatalog = new ServiceCatalog({
    fileServices: config.services, store: database.services, modelExists: (model) => routing.models.resolve(model) !== null,
  });
  const experiments = new ExperimentService({
    store: database.experiments, outcomes: database.requestLog, clock, random, logger,
    promoter: createWinnerPromoter({ prompts: prompts.registry, services: serviceCatalog }),
  });
  // The store's tables exist once the migrations are in; until then no experiment applies.
  const experimentsReady = storage.migrated.then(async () => {
    await experiments.syncConfig(config.experiments);
    await experiments.start();
  });
  experimentsReady.catch((error: unknown) => logger.error({ err: error }, 'loading the experiments failed'));
  const stopResponseSweeper = responses.startSweeper(RESPONSE_SWEEP_INTERVAL_MS, (error) => logger.warn({ err: error }, 'deleting expired responses failed'));
  const cacheStore = await createCacheStore({
    store: config.cache.store, redisUrl: config.storage.redis_url, redisTimeoutMs: config.cache.redis_timeout_ms,
    memoryMaxBytes: config.cache.memory_max_bytes, database,
  });
  const caching = createCaching({
    cache: config.cache, models: config.models, store: cacheStore, clock,
    resolveRoute: (model) => routing.models.resolve(model),
    onError: (operation, error) => logger.warn({ operation, err: error }, 'response cache: treated as a miss'),
  });

  const app = await createApp({
    server: {
      maxBodyBytes: config.server.max_body_bytes,
      requestTimeoutMs: config.server.request_timeout_ms,
      headersTimeoutMs: config.server.headers_timeout_ms,
      trustProxy: config.server.trust_proxy,
      corsOrigins: config.server.cors_origins,
    },
    authenticator,
    keys,
    inference: {
      models: routing.models, events, policies, priceBook, logBodies: config.logging.log_bodies, clock, experiments,
      ...(caching.active ? { cache: caching.responses, embeddingsCache: caching.embeddings } : {}),
      costOptions: {
        models: new Map(config.models.map((model) => [model.name, new Set(model.allowed_options)])),
        tiers: new Map(Object.entries(config.tiers).map(([tierName, tier]) => [tierName, new Set(tier.allowed_options ?? [])])),
      },
      upstreamTraceparent: observability.upstreamTraceparent,
    },
    cacheStore,
    models: routing.models,
    readiness: async () => {
      const report = await readiness();
      const scores = observability.health.providerScores();
      const providers = summariseCircuits(config.providers.map((provider) => provider.name), await routing.breakers.snapshot(clock.now()));
      for (const [name, entry] of Object.entries(providers)) Object.assign(entry, { score: scores.get(name)?.score ?? null });
      const checks: Record<string, unknown> = { ...report.checks, providers };
      if (caps instanceof ProviderCaps) checks.caps = await capsCheck(caps);
      return { ...report, score: observability.health.gatewayScore(report.ready), checks };
    },
    caps: () => caps.snapshot(),
    logger,
    requestLog: new RequestLogQueries(database.requestLog),
    metrics: observability.metricsSource,
    metricsRequireAuth: config.metrics.require_auth,
    alerts: observability.alerts ?? undefined,
    jobs: jobs.routes,
    responses,
    experiments,
    prompts: prompts.registry,
    services: {
      models: routing.models, events, policies, priceBook, logBodies: config.logging.log_bodies, clock,
      catalog: serviceCatalog, defaultModel: config.models[0]?.name ?? null, prompts: prompts.registry, experiments,
      // A service's own `cache` settings decide whether it is cached, whatever the models' settings.
      cache: caching.responses,
    },
    dashboard: { sessions, assetsDirectory: options.dashboardAssetsDirectory },
  });
  // The poller reads the jobs table: it starts once the migrations are in.
  storage.migrated.then(() => jobs.start(), () => {});

  return {
    app,
    config,
    adminKey,
    adminKeyGenerated: config.auth.master_key === undefined,
    events,
    logger,
    keys,
    limitStoreFailOpenCount: () => failOpenCount,
    database,
    metrics,
    priceBook,
    jobs,
    experiments,
    experimentsReady,
    cacheStore,
    flushRequestLog: () => observability.flush(),
    async listen(overrides = {}) {
      return app.listen({ host: overrides.host ?? config.server.host, port: overrides.port ?? config.server.port });
    },
    async close() {
      await app.close();
      await jobs.close();
      await experiments.stop();
      // Every request has now reported; write every row before the database goes.
      await observability.close();
      await retentionLease.stop();
      await leases.close();
      stopResponseSweeper();
      await storage.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the database failed'));
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
      await limits.store.close();
      await breakers.close();
      await prompts.registry.close();
      caching.stop();
      await cacheStore.close();
      await sessionStore.close();
      logger.flush();
    },
  };
}

/**
 * Each cap's use and reset for /health/ready: `reached` when some cap is used up, `warning` from
 * 80 %, else `ok`. A reached cap never makes the instance unready: routing moves to other targets.
 */
async function capsCheck(caps: ProviderCaps): Promise<Record<string, unknown>> {
  try {
    const uses = (await caps.snapshot()).map(toWireCapUse);
    const status = uses.some((use) => use.remaining === 0) ? 'reached' : uses.some((use) => use.fraction >= 0.8) ? 'warning' : 'ok';
    return { status, caps: uses };
  } catch {
    return { status: 'unknown', caps: [] };
  }
}

async function checkDatabase(database: Database): Promise<'ok' | 'unreachable'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      database.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), READINESS_DATABASE_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch {
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}
