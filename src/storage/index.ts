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
export type { PromptChange, PromptChangeFeed } from './prompt-change-feed.js';
export { DisabledPromptChangeFeed } from './memory/disabled-prompt-change-feed.js';
export { RedisPromptChangeFeed } from './redis/redis-prompt-change-feed.js';
export type {
  NewPromptVersion, PromptLabelEvent, PromptLabelRecord, PromptListQuery, PromptMessageTemplate, PromptRecord, PromptStatsQuery,
  PromptStore, PromptTemplate, PromptType, PromptUsageStats, PromptVersionRecord,
} from './prompt-store.js';
export type { OpenDatabaseOptions } from './open-database.js';
export { GROUP_BY_FIELDS, TIME_BUCKETS } from './request-log-store.js';
export type {
  AnalyticsFilter, AttemptLogRow, Database, ErrorCodeCount, ExperimentOutcomeRow, GroupByField, LogFilter, LogPage, LogScope, Percentiles,
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
export { logRowToValues, needsAttemptRows, sanitizeRequestLogValues } from './request-log-values.js';
export type { AttemptValues, RequestLogValues } from './request-log-values.js';
export { RedisCircuitBreakerStore } from './redis/redis-circuit-breaker-store.js';
export type { CircuitBreakerFallback, RedisCircuitBreakerStoreOptions } from './redis/redis-circuit-breaker-store.js';
export { createCircuitBreakerStore } from './create-circuit-breaker-store.js';
export type { CircuitBreakerStoreSettings } from './create-circuit-breaker-store.js';
export type { LeaseStore } from './lease-store.js';
export { MemoryLeaseStore } from './memory/memory-lease-store.js';
export { RedisLeaseStore } from './redis/redis-lease-store.js';
export type { RedisLeaseStoreOptions } from './redis/redis-lease-store.js';
export { createLeaseStore } from './create-lease-store.js';
export type { LeaseStoreSettings } from './create-lease-store.js';
export { SingletonLease } from './singleton-lease.js';
export type { SingletonLeaseOptions } from './singleton-lease.js';
export { DisabledResponseStore } from './response-store.js';
export type { ResponseStore, StoredResponse } from './response-store.js';
export { MemoryResponseStore } from './memory/memory-response-store.js';
export { ExperimentConflictError } from './experiment-store.js';
export type {
  DefinitionChange, ExperimentEvent, ExperimentEventType, ExperimentPhase, ExperimentRecord, ExperimentSettings, ExperimentStatus,
  ExperimentStore, ExperimentTargetKind, ExperimentUnit, ExperimentVariant, FeedbackRecord, StatusChange,
} from './experiment-store.js';
export { MemoryExperimentStore } from './memory/memory-experiment-store.js';
export type { ServiceStore, StoredService } from './service-store.js';
export { MemoryServiceStore } from './memory/memory-service-store.js';
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
export { isRedisCluster } from './redis/connect-redis.js';
export type { AlertStateRow, AlertStateStore } from './alert-state-store.js';
export { MemoryAlertStateStore } from './memory/memory-alert-state-store.js';
export type { AdminSessionRecord, AdminSessionStore } from './admin-session-store.js';
export { createAdminSessionStore } from './create-admin-session-store.js';
export type { AdminSessionStoreSettings } from './create-admin-session-store.js';
