import type { Provider } from '../core/index.js';
import type { Clock } from '../lib/index.js';
import type { CacheStore } from '../storage/index.js';
import { sha256 } from './cache-key.js';
import { canonicalJson } from './canonical-json.js';
import { EmbeddingsCache } from './embeddings-cache.js';
import { ResponseCache } from './response-cache.js';
import type { CacheSettings, Embedder } from './response-cache.js';

/** The `cache:` block as the config resolves it (structurally; cache/ does not import config/). */
export interface CacheBlock {
  enabled: boolean;
  ttl_s: number;
  max_ttl_s: number;
  max_entry_bytes: number;
  scope: 'tenant' | 'key' | 'user';
  store_finish_reasons: readonly string[];
  client_controls: boolean;
  coalesce: { enabled: boolean; max_waiters: number };
  semantic: {
    enabled: boolean;
    embedding_model: string;
    threshold: number;
    dimensions?: number | undefined;
    max_messages: number;
    max_chars: number;
    max_entries_per_partition: number;
    embedding_timeout_ms: number;
  };
}

/** The parts of a `models[]` entry the cache reads: its overrides, and what its route is made of. */
export interface CachedModelConfig {
  name: string;
  cache: { enabled?: boolean | undefined; ttl_s?: number | undefined; semantic?: boolean | undefined };
  strategy: string;
  targets: readonly unknown[];
  fallback_models: readonly string[];
  context_window_fallbacks: readonly string[];
  fallback_response?: string | undefined;
}

export interface CachingSettings {
  cache: CacheBlock;
  models: readonly CachedModelConfig[];
  store: CacheStore;
  clock: Clock;
  /** The composed route of a public model (or `provider/model`), to embed through. */
  resolveRoute: (model: string) => Provider | null;
  onError: (operation: string, error: unknown) => void;
}

export interface Caching {
  responses: ResponseCache;
  embeddings: EmbeddingsCache;
  /** Whether any model is cached (the inference path skips the cache entirely otherwise). */
  active: boolean;
  /** Stops the reaper of expired entries. */
  stop(): void;
}

/** How often expired entries are deleted, and how many at most each time (SQL stores; Redis and memory expire by themselves). */
const REAP_INTERVAL_MS = 60_000;
const REAP_BATCH = 1000;

/** Builds the response and embeddings caches from the config. */
export function createCaching(settings: CachingSettings): Caching {
  const { cache } = settings;
  const fingerprints = new Map(settings.models.map((model) => [model.name, sha256(canonicalJson({
    // What decides which upstream answers and how: editing any of it must not serve old answers.
    strategy: model.strategy, targets: model.targets, fallback_models: model.fallback_models,
    context_window_fallbacks: model.context_window_fallbacks, fallback_response: model.fallback_response,
  }))]));
  const routeFingerprint = (model: string): string => fingerprints.get(model) ?? sha256(`direct:${model}`);
  const cacheSettings: CacheSettings = {
    enabled: cache.enabled,
    ttlS: cache.ttl_s,
    semantic: cache.semantic.enabled,
    models: new Map(settings.models.map((model) => [model.name, {
      enabled: model.cache.enabled, ttlS: model.cache.ttl_s, semantic: model.cache.semantic,
    }])),
    maxTtlS: cache.max_ttl_s,
    maxEntryBytes: cache.max_entry_bytes,
    scope: cache.scope,
    storeFinishReasons: new Set(cache.store_finish_reasons),
    clientControls: cache.client_controls,
    coalesce: { enabled: cache.coalesce.enabled, maxWaiters: cache.coalesce.max_waiters },
    semanticSearch: {
      threshold: cache.semantic.threshold,
      maxMessages: cache.semantic.max_messages,
      maxChars: cache.semantic.max_chars,
      maxEntriesPerPartition: cache.semantic.max_entries_per_partition,
      embeddingTimeoutMs: cache.semantic.embedding_timeout_ms,
    },
  };
  const embeddingModel = cache.semantic.embedding_model;
  const embed: Embedder | null = embeddingModel === '' ? null : async (text, signal) => {
    const route = settings.resolveRoute(embeddingModel);
    if (route === null) throw new Error(`the embedding model ${embeddingModel} is not routable`);
    const request = { model: embeddingModel, input: text, ...(cache.semantic.dimensions === undefined ? {} : { dimensions: cache.semantic.dimensions }) };
    const result = await route.embed(request, { requestId: `cache-embed-${Date.now()}`, signal, attempts: [] });
    return toVector(result.response.data[0]?.embedding);
  };
  const active = cache.enabled || settings.models.some((model) => model.cache.enabled === true);
  // Named services turn the cache on for themselves (admin-defined ones at any time), so expired
  // entries are reaped even when no model is cached; one batched delete a minute is cheap.
  const reaper = setInterval(() => {
    settings.store.purgeExpired(settings.clock.now(), REAP_BATCH).catch((error: unknown) => settings.onError('reap', error));
  }, REAP_INTERVAL_MS);
  reaper.unref();
  return {
    stop: () => {
      clearInterval(reaper);
    },
    responses: new ResponseCache({
      store: settings.store, settings: cacheSettings, clock: settings.clock, routeFingerprint, embed, onError: settings.onError,
    }),
    embeddings: new EmbeddingsCache({
      store: settings.store, clock: settings.clock, scope: cache.scope, maxTtlS: cache.max_ttl_s, routeFingerprint, onError: settings.onError,
    }),
    active,
  };
}

/** An embedding as numbers, whether the upstream sent floats or base64 little-endian float32. */
function toVector(embedding: number[] | string | undefined): number[] {
  if (embedding === undefined) throw new Error('the embedding model returned no embedding');
  if (Array.isArray(embedding)) return embedding;
  const bytes = Buffer.from(embedding, 'base64');
  const vector: number[] = [];
  for (let offset = 0; offset + 4 <= bytes.length; offset += 4) vector.push(bytes.readFloatLE(offset));
  return vector;
}
