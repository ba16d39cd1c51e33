import { GatewayError } from '../core/index.js';
import type { Principal } from '../policies/index.js';
import type {
  AnalyticsFilter, ErrorCodeCount, GroupByField, LogFilter, LogPage, LogScope, RequestLogRow, RequestLogStore, SummaryGroup,
  TimeBucket, TimeseriesPoint, UserMonthCost,
} from '../storage/index.js';

/**
 * The request log and its analytics as the admin API and the dashboard use them. Every query
 * passes through `scopeFor`, the one place a caller's principal limits what it may see.
 */
export class RequestLogQueries {
  private readonly store: RequestLogStore;

  constructor(store: RequestLogStore) {
    this.store = store;
  }

  list(principal: Principal | null, filter: LogFilter, page: { limit: number; cursor?: string | undefined }): Promise<LogPage> {
    return this.store.list(filter, page, scopeFor(principal));
  }

  get(principal: Principal | null, requestId: string): Promise<RequestLogRow | null> {
    return this.store.get(requestId, scopeFor(principal));
  }

  summary(principal: Principal | null, filter: AnalyticsFilter, groupBy: GroupByField | null): Promise<SummaryGroup[]> {
    return this.store.summary(filter, groupBy, scopeFor(principal));
  }

  timeseries(principal: Principal | null, filter: AnalyticsFilter, bucket: TimeBucket, groupBy: GroupByField | null): Promise<TimeseriesPoint[]> {
    return this.store.timeseries(filter, bucket, groupBy, scopeFor(principal));
  }

  topErrorCodes(principal: Principal | null, filter: AnalyticsFilter, limit: number): Promise<ErrorCodeCount[]> {
    return this.store.topErrorCodes(filter, limit, scopeFor(principal));
  }

  costPerUserPerMonth(principal: Principal | null, filter: AnalyticsFilter): Promise<UserMonthCost[]> {
    return this.store.costPerUserPerMonth(filter, scopeFor(principal));
  }
}

/**
 * The master key (role admin) sees everything, a tenant admin only its tenant's rows, a client
 * key nothing.
 */
export function scopeFor(principal: Principal | null): LogScope {
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  if (principal.role === 'admin') return {};
  if (principal.role === 'tenant_admin' && principal.tenantId !== null) return { tenantId: principal.tenantId };
  throw new GatewayError('permission_denied', 'This key may not use the admin API.');
}
