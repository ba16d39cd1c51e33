export { NO_CONTROLS, parseCacheControls, takeCacheControls } from './cache-controls.js';
export type { CacheControls, HeaderValue } from './cache-controls.js';
export { computeChatCacheKey, computeEmbeddingCacheKey, sha256 } from './cache-key.js';
export type { CacheKeyContext, CacheScope, ChatCacheKey } from './cache-key.js';
export { StreamResultAccumulator, fromCompletion } from './cached-result.js';
export type { CachedChatResult } from './cached-result.js';
export { createCaching } from './create-caching.js';
export type { CacheBlock, CachedModelConfig, Caching, CachingSettings } from './create-caching.js';
export { EmbeddingsCache } from './embeddings-cache.js';
export type { EmbeddingsCacheInput, EmbeddingsCacheRun } from './embeddings-cache.js';
export type { FlightMode, FlightOutcome } from './flight.js';
export { ResponseCache, semanticEligible } from './response-cache.js';
export type {
  CacheHit, CacheRun, CacheSettings, CacheStatus, ChatCacheInput, ChatCachePlan, Embedder, ModelCacheOverrides, ResponseCacheOptions,
} from './response-cache.js';
export { ALL_TENANTS, normaliseNamespace } from '../storage/index.js';
export type { CacheEntryMeta, CacheStore } from '../storage/index.js';
