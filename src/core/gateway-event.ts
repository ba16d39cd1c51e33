import type { AttemptRecord } from './provider.js';
import type { Usage } from './usage.js';

/** Everything the observability side learns about one finished request. */
export interface RequestSummary {
  requestId: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  /** Milliseconds from the start to the first content byte of a stream; null otherwise. */
  timeToFirstTokenMs: number | null;
  endpoint: string;
  keyId: string | null;
  tenantId: string | null;
  endUser: string | null;
  requestedModel: string | null;
  provider: string | null;
  providerModel: string | null;
  attempts: AttemptRecord[];
  stream: boolean;
  status: number;
  errorCode: string | null;
  errorMessage: string | null;
  usage: Usage | null;
  metadata: Record<string, string> | null;
  /** Duration minus the time spent in upstream calls (routing, retries' waits, our own work). */
  overheadMs: number;
  /** Priced from `usage` (0 when there is none or the model has no price). */
  costUsd: number;
  /** True when the upstream reported no usage and Sluice counted the tokens itself. */
  usageEstimated: boolean;
  /** What the response cache did, when it applies to the request's model. */
  cacheStatus?: CacheStatus | null;
  /** Hits and coalesced followers: what the original call cost (this one costs 0). */
  costSavedUsd?: number | null;
  /** Hits: the request whose answer was stored. */
  cacheOriginRequestId?: string | null;
  serviceName?: string | null;
  promptVersion?: string | null;
  /** The registry prompt applied to the request, and the label the caller asked for. */
  promptName?: string | null;
  promptLabel?: string | null;
  experimentVariant?: string | null;
  /** Services and JSON healing: the fixes applied to the model's output, in order. */
  jsonFixes?: string[] | null;
  /** Services: how many times the model was asked again. */
  reaskCount?: number | null;
  /** Services and JSON healing: whether the final output was valid JSON matching its schema. */
  outputValid?: boolean | null;
  /** Only with `logging.log_bodies`: the parsed request body and the response text. */
  requestBody?: unknown;
  responseBody?: string | null;
  /** 'static' when the client got the model's configured fallback answer (the request still failed). */
  fallback?: 'static' | null | undefined;
  /** Why the answer ended (`stop`, `length`, `tool_calls`, …), when known: a span attribute. */
  finishReasons?: readonly string[] | undefined;
}

/** A request was accepted by a use case; its `request-end` follows (the in-flight gauge pairs them). */
export interface RequestStart {
  type: 'request-start';
  requestId: string;
  endpoint: string;
  startedAt: number;
  /** The client's W3C `traceparent` header, when it sent one: the parent of the request's spans. */
  traceparent?: string | null | undefined;
  /**
   * The `traceparent` sent upstream (`tracing.propagate_upstream`): it names the request's server
   * span, which the tracer later builds with exactly these ids.
   */
  upstreamTraceparent?: string | null | undefined;
}

/** `x-sluice-cache`: answered from the cache (exactly or by similarity), shared with an identical request in flight, or from upstream. */
export type CacheStatus = 'hit' | 'semantic_hit' | 'miss' | 'coalesced' | 'refresh' | 'bypass';

export const CACHE_STATUSES: readonly CacheStatus[] = ['hit', 'semantic_hit', 'miss', 'coalesced', 'refresh', 'bypass'];

export type CircuitState = 'closed' | 'open' | 'half_open';

/** A target's circuit breaker changed state. */
export interface CircuitStateChange {
  provider: string;
  model: string;
  from: CircuitState;
  to: CircuitState;
  /** Epoch ms of the change. */
  at: number;
}

/** Spend crossed 50 %, 80 % or 100 % of a budget (emitted once per threshold and period). */
export interface BudgetWarning {
  type: 'budget-warning';
  /** `key`, `token` (a JWT subject), `tenant` or `end_user`. */
  scope: string;
  /** The counter namespace: `key:<id>`, `tenant:<id>`, `user:<tenant>:<id>`. */
  subject: string;
  threshold: 0.5 | 0.8 | 1;
  spentUsd: number;
  budgetUsd: number;
  /** `2026-11-22`, `2026-11` or `total`. */
  period: string;
  /** The request whose spend crossed the line. */
  requestId?: string | undefined;
}

/** Use of a provider, model or target cap crossed 50 %, 80 % or 100 % (once per threshold and period). */
export interface CapWarning {
  type: 'cap-warning';
  /** Where the cap is configured: `providers[].limits`, `models[].limits` or a target's `limits`. */
  scope: 'provider' | 'model' | 'target';
  /** The provider name, the public model name, or `model:provider/upstream-model` for a target. */
  subject: string;
  /** `tokens_per_day`, `tokens_per_month`, `usd_per_day`, `usd_per_month` or `rpm`. */
  cap: string;
  threshold: 0.5 | 0.8 | 1;
  /** Tokens, USD for the usd caps, or requests in the sliding minute for rpm. */
  used: number;
  limit: number;
  /** `2026-11-22`, `2026-11`, or the UTC minute `2026-11-22T14:05` for rpm. */
  period: string;
  requestId?: string | undefined;
}

export type GatewayEvent =
  | RequestStart
  | { type: 'request-end'; summary: RequestSummary }
  | { type: 'circuit-state'; change: CircuitStateChange }
  | BudgetWarning
  | CapWarning
  /** The shared limit store (Redis) failed and a decision was taken with local limits. */
  | { type: 'limit-store-fail-open'; operation: 'admit' | 'settle' };

export interface EventSink {
  emit(event: GatewayEvent): void;
}
