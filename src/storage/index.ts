export { loadOrCreateAdminKey } from './admin-key-file.js';
export { stateDirectory } from './state-directory.js';
export type {
  AdmitResult, LimitCheck, LimitKind, LimitState, LimitStore, SettleResult, Settlement,
} from './limit-store.js';
export { MemoryLimitStore } from './memory/memory-limit-store.js';
export { RedisLimitStore } from './redis/redis-limit-store.js';
export { createLimitStore } from './create-limit-store.js';
export type { ConfiguredLimitStore, LimitStoreSettings } from './create-limit-store.js';
export type { RedisFailureMode, RedisLimitStoreOptions } from './redis/redis-limit-store.js';
export type { KeyListQuery, KeyStore, StoredLimits, VirtualKeyPatch, VirtualKeyRecord } from './key-store.js';
export { MemoryKeyStore } from './memory/memory-key-store.js';
export { openDatabase } from './open-database.js';
export type { OpenDatabaseOptions } from './open-database.js';
export { GROUP_BY_FIELDS, TIME_BUCKETS } from './request-log-store.js';
export type {
  AnalyticsFilter, AttemptLogRow, Database, ErrorCodeCount, GroupByField, LogFilter, LogPage, LogScope, Percentiles,
  RequestLogRow, RequestLogStore, SummaryGroup, TimeBucket, TimeWindow, TimeseriesPoint, UsageFigures, UserMonthCost,
} from './request-log-store.js';
export { developmentAdminKey, openStorage } from './open-storage.js';
export type { Storage, StorageSettings } from './open-storage.js';
export { MemoryWebhookOutboxStore } from './memory/memory-webhook-outbox-store.js';
export type {
  NewWebhookMessage, WebhookAttemptResult, WebhookMessage, WebhookMessageStatus, WebhookOutboxStore,
} from './webhook-outbox-store.js';
export { MemoryJobStore } from './memory/memory-job-store.js';
export type { JobListQuery, JobPatch, JobRecord, JobStore } from './job-store.js';
export { ALL_TENANTS, DisabledCacheStore, normaliseNamespace, namespaceMatches } from './cache-store.js';
export type {
  CacheAddress, CacheEntry, CacheEntryKind, CacheEntryMeta, CacheEntryPage, CacheListFilter, CacheLookup, CacheStore, CacheStoreStats,
  InvalidationTarget, SemanticPartition,
} from './cache-store.js';
export { MemoryCacheStore } from './memory/memory-cache-store.js';
export { RedisCacheStore } from './redis/redis-cache-store.js';
export type { RedisCacheStoreOptions } from './redis/redis-cache-store.js';
export { createCacheStore } from './create-cache-store.js';
export type { CacheStoreSettings } from './create-cache-store.js';
