import type { ExperimentStore } from './experiment-store.js';
import type { CacheStatus } from '../core/index.js';
import type { CacheStore } from './cache-store.js';
import type { KeyStore } from './key-store.js';
import type { JobStore } from './job-store.js';
import type { WebhookOutboxStore } from './webhook-outbox-store.js';
import type { RequestLogValues } from './request-log-values.js';
import type { LeaseStore } from './lease-store.js';
import type { ResponseStore } from './response-store.js';
import type { PromptStore } from './prompt-store.js';
import type { ServiceStore } from './service-store.js';
import type { AlertStateStore } from './alert-state-store.js';
import type { AdminSessionStore } from './admin-session-store.js';
import type { RollupStore } from './rollup-store.js';
/** One upstream call of a logged request. */
export interface AttemptLogRow {
  provider: string;
  model: string;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** Why the attempt was made: first, retry, fallback, hedge, or reask (a service asked again). */
  kind?: string | null | undefined;
}

/** The row every request leaves in the request log (see docs/request-log.md). Times are epoch ms. */
export interface RequestLogRow {
  /** Unique per row: request ids come from clients and may repeat; this never does. */
  rowKey: string;
  requestId: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  timeToFirstTokenMs: number | null;
  /** Duration minus the time spent in upstream calls. */
  overheadMs: number;
  endpoint: string;
  keyId: string | null;
  tenantId: string | null;
  endUser: string | null;
  requestedModel: string | null;
  provider: string | null;
  providerModel: string | null;
  attemptCount: number;
  cacheStatus: CacheStatus | null;
  /** Hits and coalesced followers: what the answer cost once (their own cost is 0). */
  costSavedUsd: number | null;
  /** Hits: the request whose answer was stored. */
  cacheOriginRequestId: string | null;
  stream: boolean;
  statusCode: number;
  errorCode: string | null;
  errorMessage: string | null;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** True when the upstream reported no usage and the tokens were counted by Sluice. */
  usageEstimated: boolean;
  costUsd: number;
  serviceName: string | null;
  promptVersion: string | null;
  /** The registry prompt applied, and the label the caller asked for (null when it named a version or nothing). */
  promptName?: string | null | undefined;
  promptLabel?: string | null | undefined;
  experimentVariant: string | null;
  metadata: Record<string, string> | null;
  /** Only with `logging.log_bodies`, secrets redacted. */
  requestBody: string | null;
  responseBody: string | null;
  attempts: AttemptLogRow[];
  /** Services and JSON healing: the fixes applied to the model's output, in order. */
  jsonFixes?: string[] | null | undefined;
  /** Services: how many times the model was asked again after an invalid answer. */
  reaskCount?: number | null | undefined;
  /** Services and JSON healing: whether the final output was valid JSON matching its schema. */
  outputValid?: boolean | null | undefined;
}

/**
 * Who may see what. Every query goes through one place that applies it, so tenant-scoped admins
 * only ever see their tenant's rows.
 */
export interface LogScope {
  /** When set, only rows of this tenant. */
  tenantId?: string | undefined;
}

export interface TimeWindow {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
}

export interface LogFilter extends TimeWindow {
  model?: string | undefined;
  provider?: string | undefined;
  keyId?: string | undefined;
  tenantId?: string | undefined;
  endUser?: string | undefined;
  status?: 'success' | 'error' | undefined;
  errorCode?: string | undefined;
  serviceName?: string | undefined;
  /** Full text over error messages, metadata and bodies. */
  query?: string | undefined;
}

export interface LogPage {
  data: RequestLogRow[];
  nextCursor: string | null;
}

export const GROUP_BY_FIELDS = ['model', 'provider', 'key', 'tenant', 'user', 'service', 'status', 'endpoint'] as const;
export type GroupByField = (typeof GROUP_BY_FIELDS)[number];

export const TIME_BUCKETS = ['minute', 'hour', 'day'] as const;
export type TimeBucket = (typeof TIME_BUCKETS)[number];

export interface AnalyticsFilter extends TimeWindow {
  model?: string | undefined;
  provider?: string | undefined;
  keyId?: string | undefined;
  tenantId?: string | undefined;
}

/** The figures of one group (or of everything when ungrouped). */
export interface UsageFigures {
  requests: number;
  errors: number;
  errorRate: number;
  /** Share of requests answered below status 400 (1 − errorRate; 0 when there were none). */
  successRate: number;
  latencyMs: Percentiles;
  /** Over streamed requests that produced output; null when there were none. */
  timeToFirstTokenMs: Percentiles;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costUsd: number;
  /** Requests answered by the cache (exact, semantic or coalesced) of those it applied to. */
  cacheHits: number;
  cacheHitRate: number;
  /** What the cached answers cost when they were first made. */
  savedUsd: number;
  /** Share of JSON-checked requests (services, response healing) whose output needed a repair; null when none. */
  jsonRepairRate: number | null;
  /** Share of JSON-checked requests whose final output was valid; null when none. */
  outputValidRate: number | null;
  /** Share of service runs that re-asked at least once; null when none. */
  reaskRate: number | null;
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface SummaryGroup extends UsageFigures {
  /** The group's value (model name, key id, …); null for rows without one or when ungrouped. */
  group: string | null;
}

export interface TimeseriesPoint extends SummaryGroup {
  /** Epoch ms of the bucket's start (UTC). */
  bucketStart: number;
}

export interface ErrorCodeCount {
  errorCode: string;
  count: number;
}

export interface UserMonthCost {
  endUser: string | null;
  /** `YYYY-MM`, UTC. */
  month: string;
  requests: number;
  costUsd: number;
}

/** What an experiment's results read from one logged request. */
export interface ExperimentOutcomeRow {
  requestId: string;
  /** The exposure as logged (see services/experiments/exposure.ts). */
  experimentVariant: string;
  startedAt: number;
  statusCode: number;
  errorCode: string | null;
  durationMs: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  cacheStatus: string | null;
}

/** Where the request log lives; SQL over SQLite or Postgres. */
export interface RequestLogStore {
  /** Writes rows and their attempts; a row already written (same rowKey) is skipped, so replays are safe. */
  insert(rows: readonly RequestLogValues[]): Promise<void>;
  list(filter: LogFilter, page: { limit: number; cursor?: string | undefined }, scope: LogScope): Promise<LogPage>;
  /** The latest row with this request id, with its attempts and bodies. */
  get(requestId: string, scope: LogScope): Promise<RequestLogRow | null>;
  summary(filter: AnalyticsFilter, groupBy: GroupByField | null, scope: LogScope): Promise<SummaryGroup[]>;
  timeseries(filter: AnalyticsFilter, bucket: TimeBucket, groupBy: GroupByField | null, scope: LogScope): Promise<TimeseriesPoint[]>;
  topErrorCodes(filter: AnalyticsFilter, limit: number, scope: LogScope): Promise<ErrorCodeCount[]>;
  costPerUserPerMonth(filter: AnalyticsFilter, scope: LogScope): Promise<UserMonthCost[]>;
  /** Deletes up to `batchSize` rows that started before `cutoff`; returns how many it deleted. */
  deleteBefore(cutoff: number, batchSize: number): Promise<number>;
  count(scope: LogScope): Promise<number>;
  /** Every row since `since` whose experiment_variant starts with `prefix` (one experiment's phase), oldest first. */
  experimentOutcomes(prefix: string, since: number): Promise<ExperimentOutcomeRow[]>;
}

/** An open database: the stores on it, migrations, a health probe. */
export interface Database {
  readonly kind: 'sqlite' | 'postgres';
  readonly requestLog: RequestLogStore;
  /** Virtual keys. */
  readonly keys: KeyStore;
  /** Webhooks waiting for delivery. */
  readonly webhookOutbox: WebhookOutboxStore;
  /** Long-running generation jobs. */
  readonly jobs: JobStore;
  /** Singleton leases, for fleets without Redis. */
  readonly leases: LeaseStore;
  /** Stored Responses API objects. */
  readonly responses: ResponseStore;
  /** A/B experiments, their phases and audit trail. */
  readonly experiments: ExperimentStore;
  /** The prompt registry. */
  readonly prompts: PromptStore;
  /** Admin-defined AI services. */
  readonly services: ServiceStore;
  /** The response cache's entries, when `cache.store` is `database`. */
  readonly cache: CacheStore;
  /** Windowed alerts' state, shared by whichever instance leads evaluation. */
  readonly alertStates: AlertStateStore;
  /** Dashboard sessions, for fleets without Redis. */
  readonly adminSessions: AdminSessionStore;
  /** Hourly aggregates of the request log, refreshed by one instance (see rollup-store.ts). */
  readonly rollups: RollupStore;
  /** Applies every pending migration; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
