import type { KeyStore } from './key-store.js';
import type { JobStore } from './job-store.js';
import type { WebhookOutboxStore } from './webhook-outbox-store.js';
import type { RequestLogValues } from './request-log-values.js';
import type { LeaseStore } from './lease-store.js';
import type { ResponseStore } from './response-store.js';
import type { AdminSessionStore } from './admin-session-store.js';
/** One upstream call of a logged request. */
export interface AttemptLogRow {
  provider: string;
  model: string;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  errorCode: string | null;
  errorMessage: string | null;
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
  cacheStatus: 'hit' | 'miss' | null;
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
  experimentVariant: string | null;
  metadata: Record<string, string> | null;
  /** Only with `logging.log_bodies`, secrets redacted. */
  requestBody: string | null;
  responseBody: string | null;
  attempts: AttemptLogRow[];
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
  latencyMs: Percentiles;
  /** Over streamed requests that produced output; null when there were none. */
  timeToFirstTokenMs: Percentiles;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costUsd: number;
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
  /** Dashboard sessions, for fleets without Redis. */
  readonly adminSessions: AdminSessionStore;
  /** Applies every pending migration; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
