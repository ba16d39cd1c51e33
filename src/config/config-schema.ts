import { z } from 'zod';
import { COST_BEARING_OPTIONS } from '../core/index.js';
import { configExperimentSchema, serviceDefinitionSchema } from '../services/index.js';
import { capsSchema } from './caps-schema.js';

const positiveInt = z.int().positive();
const name = z.string().regex(/^[A-Za-z0-9][\w.:-]*$/, 'letters, digits, "_", ".", ":" or "-", starting with a letter or digit');

const serverSchema = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.int().min(0).max(65535).default(4000),
  cors_origins: z.array(z.string()).default([]),
  /** Chat needs far less; raise it for large images or documents sent inline as base64. */
  max_body_bytes: positiveInt.default(4 * 1024 * 1024),
  trust_proxy: z.boolean().default(false),
  /** Grace period for in-flight requests on SIGTERM before connections are cut. */
  shutdown_timeout_ms: positiveInt.default(30_000),
  /** A client must send its whole request (headers and body) within this; slower connections are closed (408). */
  request_timeout_ms: positiveInt.default(60_000),
  /** ... and its headers within this (at most request_timeout_ms). */
  headers_timeout_ms: positiveInt.default(20_000),
});

const jwtSchema = z.strictObject({
  /** HS256 shared secret; give this or jwks_url. */
  secret: z.string().min(32, 'must be at least 32 characters').optional(),
  /** JWKS URL for RS256 / ES256 tokens. */
  jwks_url: z.url({ protocol: /^https?$/ }).optional(),
  issuer: z.string().min(1),
  audience: z.string().min(1),
  /** Claim names mapped to the tenant, the user and the tier. */
  claims: z.strictObject({
    tenant: z.string().default('tenant'),
    user: z.string().default('sub'),
    tier: z.string().default('tier'),
  }).prefault({}),
  /** Refuse tokens without an `exp` claim (they would never expire). */
  require_exp: z.boolean().default(true),
  /** The tier of a token whose tier claim is missing or unknown; without it such tokens are refused. */
  default_tier: z.string().optional(),
});

const authSchema = z.strictObject({
  master_key: z.string().min(8, 'must be at least 8 characters').optional(),
  jwt: jwtSchema.optional(),
  /** How long an instance trusts a verified key; a revocation reaches other instances within it. */
  key_cache_ttl_ms: z.int().min(0).max(5000).default(5000),
  /** While the database is down, a key verified within this long keeps working (stale-if-error); 0 = never. */
  key_stale_if_error_ms: z.int().min(0).default(3_600_000),
});

/** Where circuit-breaker state lives; see docs/scaling.md. */
const circuitBreakerStoreSchema = z.strictObject({
  /** `auto` = Redis when Redis is configured, else this process's memory. */
  store: z.enum(['auto', 'memory', 'redis']).default('auto'),
  /** Redis down or slow: use this process's own breakers (`local`), or refuse every call (`open`). */
  fallback: z.enum(['local', 'open']).default('local'),
  /** How long an instance trusts a circuit state it read from Redis. */
  cache_ms: z.int().min(0).max(5000).default(250),
  /** Every Redis command for a breaker gives up after this long; the fallback then decides. */
  redis_timeout_ms: positiveInt.default(100),
});

const storageSchema = z.strictObject({
  database_url: z.string().default('sqlite://./.sluice/sluice.db'),
  /** One Redis, or the nodes of a Redis Cluster separated by commas. */
  redis_url: z.string().default(''),
  /** Seed nodes of a Redis Cluster (the same as several comma-separated nodes in redis_url). */
  redis_cluster: z.array(z.string().min(1)).default([]),
  circuit_breakers: circuitBreakerStoreSchema.prefault({}),
}).transform((storage) => ({
  ...storage,
  // Every reader then finds the cluster in one place: several nodes in redis_url mean a cluster.
  redis_url: storage.redis_url !== '' ? storage.redis_url : storage.redis_cluster.join(','),
}));

const loggingSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  log_bodies: z.boolean().default(false),
  /** Human-readable logs; defaults to on in development when stdout is a terminal. */
  pretty: z.boolean().optional(),
  /** Delete request-log rows (bodies included) older than this many days; 0 keeps them forever. */
  retention_days: z.int().min(0).default(0),
  /** The request log's writer: one row per request, batched off the request path. */
  request_log: z.strictObject({
    enabled: z.boolean().default(true),
    flush_interval_ms: positiveInt.default(1000),
    batch_size: positiveInt.max(5000).default(500),
    max_queue_rows: positiveInt.default(20_000),
  }).prefault({}),
});

export const PROVIDER_TYPES = ['openai', 'anthropic', 'gemini', 'mock'] as const;

const providerSchema = z.strictObject({
  name,
  type: z.enum(PROVIDER_TYPES),
  base_url: z.url({ protocol: /^https?$/ }).optional(),
  api_key: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeout_ms: positiveInt.default(60_000),
  /** anthropic only: the `anthropic-version` sent upstream (default 2023-06-01). */
  anthropic_version: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2023-06-01 or 2026-10-21').optional(),
  /** anthropic only: max_tokens when a request sets none (default: model-aware, 8192 or 4096). */
  default_max_tokens: positiveInt.optional(),
  /** Upstream model ids to list in /v1/models as `provider/model`. */
  models: z.array(z.string()).default([]),
  /** Keep-alive connections to this upstream. */
  max_connections: positiveInt.default(128),
  /** Calls in flight to this provider at once (streams until they end), over every model; none by default. */
  max_concurrent: positiveInt.optional(),
  /** With max_concurrent: how long a call waits for a free slot before a 503 provider_overloaded. */
  max_queue_wait_ms: z.int().min(0).default(1000),
  /**
   * openai only: the field that carries a translated request's output cap. `max_completion_tokens`
   * (GPT-5 and o-series refuse `max_tokens`); `max_tokens` for older OpenAI-compatible servers.
   */
  max_tokens_field: z.enum(['max_completion_tokens', 'max_tokens']).default('max_completion_tokens'),
  /** Caps on everything sent to this provider (docs/provider-caps.md). */
  limits: capsSchema.optional(),
});

const targetSchema = z.strictObject({
  provider: z.string(),
  model: z.string().min(1),
  weight: z.number().positive().default(1),
  /** Caps on this target of this public model only. */
  limits: capsSchema.optional(),
});

const retrySchema = z.strictObject({
  max_attempts: positiveInt.default(3),
  initial_delay_ms: z.int().min(0).default(200),
  max_delay_ms: z.int().min(0).default(8000),
  multiplier: z.number().min(1).default(2),
});

const circuitBreakerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  failure_threshold: positiveInt.default(5),
  window_ms: positiveInt.default(60_000),
  cooldown_ms: positiveInt.default(30_000),
  half_open_successes: positiveInt.default(2),
});

const pricingSchema = z.strictObject({
  input_per_mtok: z.number().min(0),
  output_per_mtok: z.number().min(0),
  cached_input_per_mtok: z.number().min(0).optional(),
  cache_write_per_mtok: z.number().min(0).optional(),
});

const modelSchema = z.strictObject({
  name: z.string().min(1),
  strategy: z.enum(['single', 'fallback', 'loadbalance', 'least_busy', 'lowest_latency', 'hedge']).default('fallback'),
  targets: z.array(targetSchema).min(1, 'needs at least one target'),
  fallback_models: z.array(z.string()).default([]),
  retry: retrySchema.prefault({}),
  timeout_ms: positiveInt.default(600_000),
  first_token_timeout_ms: positiveInt.optional(),
  /** Streams: the longest silence between two chunks once output has started. */
  idle_timeout_ms: positiveInt.optional(),
  circuit_breaker: circuitBreakerSchema.prefault({}),
  /** Strategy hedge: start the next target when the running one has no output after this long. */
  hedge_after_ms: positiveInt.default(2000),
  /** Strategy lowest_latency: targets within this fraction of the fastest share the traffic. */
  latency_tolerance: z.number().min(0).default(0.2),
  /** Public models with larger context windows, tried when a target says the prompt is too long. */
  context_window_fallbacks: z.array(z.string()).default([]),
  /** Answered as a normal completion when every attempt failed (marked x-sluice-fallback: static). */
  fallback_response: z.string().min(1).optional(),
  /** Overrides the global cache block for this public model; unset fields follow it. */
  cache: z.strictObject({
    enabled: z.boolean().optional(),
    ttl_s: positiveInt.optional(),
    /** The semantic cache is opt-in per model (it trades correctness for cost; see docs/caching.md). */
    semantic: z.boolean().optional(),
  }).prefault({}),
  pricing: pricingSchema.optional(),
  /** Cost-bearing options (service_tier, server_tools, …) every caller of this model may send. */
  allowed_options: z.array(z.enum(COST_BEARING_OPTIONS)).default([]),
  /** Caps on this public model, across its targets. */
  limits: capsSchema.optional(),
});

const tierSchema = z.strictObject({
  rpm: positiveInt.optional(),
  tpm: positiveInt.optional(),
  max_concurrent: positiveInt.optional(),
  requests_per_day: positiveInt.optional(),
  requests_per_month: positiveInt.optional(),
  tokens_per_day: positiveInt.optional(),
  tokens_per_month: positiveInt.optional(),
  budget_usd: z.number().positive().optional(),
  budget_period: z.enum(['day', 'month', 'total']).optional(),
  max_input_tokens: positiveInt.optional(),
  max_input_characters: positiveInt.optional(),
});

const tenantSchema = tierSchema.extend({ tier: z.string().optional() });

const limitsSchema = z.strictObject({
  /** Where counters live: `auto` = Redis when storage.redis_url is set, else memory. */
  store: z.enum(['auto', 'memory', 'redis']).default('auto'),
  /** Redis down or slow: decide with local limits (each decision counted and logged), or answer 503. */
  redis_failure_mode: z.enum(['fail_open', 'fail_closed']).default('fail_open'),
  /** Every Redis command gives up after this long. */
  redis_timeout_ms: positiveInt.default(100),
  /** A reservation or concurrency slot that is never settled (its instance died) expires after this. */
  reservation_ttl_ms: positiveInt.default(660_000),
  /** Output tokens assumed for a budget reservation when a request sets no max_tokens. */
  default_max_output_tokens: positiveInt.default(4096),
  /** The tier every end user (`user` field or `x-sluice-user`) gets automatically. */
  end_user_tier: z.string().optional(),
  /** Concurrent requests of a virtual key or JWT whose limits set no max_concurrent; none by default. */
  key_max_concurrent: positiveInt.optional(),
  /** Concurrent requests of a tenant whose limits set no max_concurrent; none by default. */
  tenant_max_concurrent: positiveInt.optional(),
  /** A model with no known price, for a caller with a budget: `refuse` (400 model_not_priced) or `allow` at cost 0. */
  unpriced_models: z.enum(['refuse', 'allow']).default('refuse'),
  /** The most choices (`n`) one request of a caller with a budget may ask for. */
  max_n_with_budget: positiveInt.max(128).default(8),
  /** Limits per tenant: a tier and/or explicit fields. */
  tenants: z.record(z.string(), tenantSchema).default({}),
});

const JOB_EVENTS = ['video.completed', 'video.failed', 'image.completed'] as const;
const webhookSecret = z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'a Standard Webhooks secret: whsec_ and base64');

const jobsSchema = z.strictObject({
  /** A job not finished after this long fails with provider_timeout. */
  max_duration_ms: positiveInt.default(1_800_000),
  /** How long one instance holds a claimed job; another takes it over after that. */
  lease_ms: positiveInt.default(30_000),
  /** Poll schedule: initial_ms × multiplier^n, capped at max_ms, ± jitter. */
  poll: z.strictObject({
    initial_ms: positiveInt.default(2000),
    multiplier: z.number().min(1).default(1.5),
    max_ms: positiveInt.default(30_000),
    jitter: z.number().min(0).max(0.5).default(0.1),
  }).prefault({}),
  concurrency_per_provider: positiveInt.default(4),
  batch_size: positiveInt.max(500).default(50),
  /** The longest the poller sleeps before looking for jobs another instance created. */
  idle_poll_ms: positiveInt.default(5000),
  max_content_bytes: positiveInt.default(200 * 1024 * 1024),
  /** Keep finished videos on disk for ttl_ms and serve them from there; no directory (the default) streams through the provider. */
  assets: z.strictObject({
    directory: z.string().default(''),
    ttl_ms: positiveInt.default(86_400_000),
  }).prefault({}),
  /** Public model names for images and videos; `provider/model` also works when allow_direct_models. */
  models: z.array(z.strictObject({
    name: z.string().min(1),
    kind: z.enum(['video', 'image']),
    provider: z.string(),
    model: z.string().min(1),
    price_per_second: z.number().min(0).default(0),
    price_per_image: z.number().min(0).default(0),
  })).default([]),
  webhooks: z.strictObject({
    /** Receivers for every job, one tenant's or one key's. */
    targets: z.array(z.strictObject({
      name,
      url: z.url({ protocol: /^https?$/ }),
      secret: webhookSecret,
      tenant: z.string().optional(),
      key: z.string().optional(),
      events: z.array(z.enum(JOB_EVENTS)).default([...JOB_EVENTS]),
    })).default([]),
    /** Per-request receivers (`x-sluice-webhook-url`) must start with one of these; none by default. */
    allowed_url_prefixes: z.array(z.url({ protocol: /^https?$/ })).default([]),
    /** Signs per-request webhooks. */
    request_secret: webhookSecret.optional(),
  }).prefault({}),
});

const metricsSchema = z.strictObject({
  /** GET /metrics asks for a key (the master key or any virtual key) when true. */
  require_auth: z.boolean().default(false),
  /** Opt-in per-key and per-tenant series on requests, tokens and cost (capped like every series). */
  labels: z.array(z.enum(['key', 'tenant'])).default([]),
  /** Series per metric; label sets past it fold into one series labelled `other` (sums stay exact). */
  max_series_per_metric: positiveInt.default(2000),
});

const tracingSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** The OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
  endpoint: z.string().default(''),
  headers: z.record(z.string(), z.string()).default({}),
  /** The share of new traces kept; a client's sampled `traceparent` is always followed. */
  sample_ratio: z.number().min(0).max(1).default(1),
  /** Put prompts and completions on the chat span (gen_ai.input/output.messages); they need logging.log_bodies. */
  capture_content: z.boolean().default(false),
  max_content_chars: positiveInt.default(8000),
  service_name: z.string().min(1).default('sluice'),
  /** Spans waiting for export; past it spans are dropped and counted (sluice_trace_spans_dropped_total). */
  max_queue_spans: positiveInt.default(16_384),
  /** Send a W3C `traceparent` upstream (the request's server span, under the client's trace when it sent one). */
  propagate_upstream: z.boolean().default(false),
});

const healthSchema = z.strictObject({
  window_ms: positiveInt.default(300_000),
  /** Fewer upstream calls than this in the window is `unknown`, not 100. */
  min_requests: positiveInt.default(10),
  /** The p95 latency objective per target; slower targets lose up to half their score. */
  latency_objective_ms: positiveInt.default(30_000),
});

const alertChannelSchema = z.strictObject({
  name,
  /** slack: Slack-compatible `{text, blocks}`; webhook: a JSON event signed the Standard Webhooks way. */
  type: z.enum(['slack', 'webhook']),
  url: z.url({ protocol: /^https?$/ }),
  /** webhook channels: `whsec_<base64>`, the key receivers verify with (e.g. the openai SDK's webhooks.unwrap()). */
  secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]+$/, 'whsec_ followed by base64').optional(),
});

const alertRuleSchema = z.strictObject({
  name,
  type: z.enum(['error_rate', 'p95_latency', 'budget', 'circuit_open', 'health_score']),
  /** error_rate: a fraction (0.05); p95_latency: milliseconds; health_score: fires below it. */
  threshold: z.number().min(0).optional(),
  /** budget: the fractions of a budget that notify (the gateway warns at 0.5, 0.8 and 1). */
  thresholds: z.array(z.union([z.literal(0.5), z.literal(0.8), z.literal(1)])).default([0.5, 0.8, 1]),
  window_ms: positiveInt.default(300_000),
  min_requests: positiveInt.default(20),
  /** How long the condition must hold before the alert fires (it is pending meanwhile). */
  for_ms: z.int().min(0).default(0),
  scope: z.enum(['gateway', 'model', 'provider']).default('gateway'),
  /** Channel names; empty sends to every channel. */
  channels: z.array(z.string()).default([]),
});

const alertsSchema = z.strictObject({
  channels: z.array(alertChannelSchema).default([]),
  rules: z.array(alertRuleSchema).default([]),
  /** A firing alert is notified again after this long. */
  repeat_interval_ms: positiveInt.default(4 * 3_600_000),
  send_resolved: z.boolean().default(true),
  evaluate_interval_ms: positiveInt.default(30_000),
});

const cacheSchema = z.strictObject({
  /** Off by default; models[].cache.enabled turns it on per public model. */
  enabled: z.boolean().default(false),
  ttl_s: positiveInt.default(3600),
  /** Client-supplied TTLs are clamped to this. */
  max_ttl_s: positiveInt.default(604_800),
  /** Where entries live: `auto` = Redis when storage.redis_url is set, else memory; `database` = SQLite or Postgres. */
  store: z.enum(['auto', 'memory', 'redis', 'database']).default('auto'),
  /** The memory store's LRU budget. */
  memory_max_bytes: positiveInt.default(256 * 1024 * 1024),
  /** Larger answers are not stored. */
  max_entry_bytes: positiveInt.default(2 * 1024 * 1024),
  /** tenant | key | user (key and end user); the tenant is always part of the key. */
  scope: z.enum(['tenant', 'key', 'user']).default('tenant'),
  /** Answers with another finish reason (length, content_filter) are never stored. */
  store_finish_reasons: z.array(z.enum(['stop', 'tool_calls', 'function_call', 'content_filter'])).default(['stop', 'tool_calls']),
  /** Honour cache-control, x-sluice-cache-* and the body's `cache` object. */
  client_controls: z.boolean().default(true),
  /** Every Redis command of the cache gives up after this long (the request is then a miss). */
  redis_timeout_ms: positiveInt.default(250),
  coalesce: z.union([
    z.boolean().transform((enabled) => ({ enabled, max_waiters: 1000 })),
    z.strictObject({ enabled: z.boolean().default(true), max_waiters: positiveInt.default(1000) }),
  ]).default({ enabled: true, max_waiters: 1000 }),
  semantic: z.strictObject({
    enabled: z.boolean().default(false),
    /** Any public model (or provider/model) Sluice can route for embeddings. */
    embedding_model: z.string().default(''),
    /** Cosine SIMILARITY in [0, 1] (not a distance): a hit needs at least this. */
    threshold: z.number().min(0).max(1).default(0.95),
    /** Requested from the embedding model when set (OpenAI text-embedding-3 accept it). */
    dimensions: positiveInt.optional(),
    max_messages: positiveInt.default(4),
    max_chars: positiveInt.default(8000),
    max_entries_per_partition: positiveInt.default(2000),
    /** An embedding slower than this is a miss, never a failure. */
    embedding_timeout_ms: positiveInt.default(1500),
  }).prefault({}),
});

export const configSchema = z.strictObject({
  environment: z.enum(['development', 'staging', 'production']).default('development'),
  server: serverSchema.prefault({}),
  auth: authSchema.prefault({}),
  storage: storageSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  providers: z.array(providerSchema).default([]),
  models: z.array(modelSchema).default([]),
  allow_direct_models: z.boolean().default(true),
  /** Presets keys, tokens, tenants and end users can name; the three below unless the file sets its own. */
  tiers: z.record(z.string(), tierSchema.extend({
    /** Cost-bearing options (service_tier, server_tools, …) keys and tokens of this tier may send to any model. */
    allowed_options: z.array(z.enum(COST_BEARING_OPTIONS)).optional(),
  })).default({
    free: { rpm: 10, requests_per_day: 20, requests_per_month: 100, budget_usd: 5, budget_period: 'month' },
    pro: { rpm: 100, requests_per_day: 200, requests_per_month: 1000, budget_usd: 50, budget_period: 'month' },
    enterprise: { rpm: 1000, requests_per_day: 2000, requests_per_month: 10000, budget_usd: 500, budget_period: 'month' },
  }),
  limits: limitsSchema.prefault({}),
  /** Long-running image and video jobs (docs/jobs.md). */
  jobs: jobsSchema.prefault({}),
  metrics: metricsSchema.prefault({}),
  tracing: tracingSchema.prefault({}),
  health: healthSchema.prefault({}),
  alerts: alertsSchema.prefault({}),
  /** The Responses API's state (/v1/responses): kept for GET and `previous_response_id`. */
  responses: z.strictObject({
    /** Keep responses unless a request says `store: false` (OpenAI's default); false keeps none. */
    store: z.boolean().default(true),
    /** Delete stored responses after this many days; 0 keeps them until deleted. */
    retention_days: z.int().min(0).default(30),
  }).prefault({}),
  /** A/B experiments declared as code, synced into the experiment store at start (docs/experiments.md). */
  experiments: z.array(configExperimentSchema).default([]),
  /** Prompts as code, synced into the registry at start (each checked there, with its path). */
  prompts: z.array(z.record(z.string(), z.unknown())).default([]),
  /** A folder of one YAML or JSON file per prompt, synced at start; relative to the working directory. */
  prompts_dir: z.string().min(1).optional(),
  /** How long an instance trusts what a label points at without hearing of a change (the safety net behind Redis invalidation). */
  prompts_cache_ttl_s: z.number().positive().default(10),
  /** Named AI services (POST /v1/services/{name}/run); read-only in the admin API. */
  services: z.array(serviceDefinitionSchema).default([]),
  cache: cacheSchema.prefault({}),
});

/** The config as written in the file (every field optional where a default exists). */
export type ConfigInput = z.input<typeof configSchema>;
/** The config after defaults and checks; frozen. */
export type GatewayConfig = Readonly<z.output<typeof configSchema>>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type ServerConfig = z.output<typeof serverSchema>;
export type TierConfig = z.output<typeof tierSchema>;
export type LimitsConfig = z.output<typeof limitsSchema>;
export type JwtConfig = z.output<typeof jwtSchema>;
export type JobsConfig = z.output<typeof jobsSchema>;
export type MetricsConfig = z.output<typeof metricsSchema>;
export type TracingConfig = z.output<typeof tracingSchema>;
export type HealthConfig = z.output<typeof healthSchema>;
export type AlertsConfig = z.output<typeof alertsSchema>;
export type ExperimentConfig = z.output<typeof configExperimentSchema>;
export type ServiceConfig = z.output<typeof serviceDefinitionSchema>;
export type CacheConfig = z.output<typeof cacheSchema>;
