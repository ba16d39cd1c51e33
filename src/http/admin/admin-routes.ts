import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/index.js';
import type { RequestLogStore } from '../../storage/index.js';
import {
  analyticsQuerySchema, logsQuerySchema, parseQuery, toAnalyticsFilter, toLogFilter, toWireFigures, toWireLog,
} from './analytics-query.js';
import { scopeFor } from './log-scope.js';

export interface AdminRoutesOptions {
  requestLog: RequestLogStore;
  clock?: () => number;
}

/** /admin/api: the request log and analytics. Keys, tenants and the rest join here later. */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const store = options.requestLog;
  const now = options.clock ?? Date.now;

  app.get('/admin/api/logs', async (request) => {
    const scope = scopeFor(request.principal);
    const query = parseQuery(logsQuerySchema, request.query);
    const page = await store.list(toLogFilter(query, now()), { limit: query.limit, cursor: query.cursor }, scope);
    return { data: page.data.map((row) => toWireLog(row, false)), next_cursor: page.nextCursor };
  });

  app.get<{ Params: { requestId: string } }>('/admin/api/logs/:requestId', async (request) => {
    const scope = scopeFor(request.principal);
    const row = await store.get(request.params.requestId, scope);
    if (row === null) throw new GatewayError('not_found', `No request ${request.params.requestId} in the log.`);
    return toWireLog(row, true);
  });

  app.get('/admin/api/analytics/summary', async (request) => {
    const scope = scopeFor(request.principal);
    const query = parseQuery(analyticsQuerySchema, request.query);
    const filter = toAnalyticsFilter(query, now());
    const groups = await store.summary(filter, query.group_by ?? null, scope);
    return {
      since: new Date(filter.since).toISOString(),
      until: new Date(filter.until).toISOString(),
      group_by: query.group_by ?? null,
      data: groups.map(toWireFigures),
    };
  });

  app.get('/admin/api/analytics/timeseries', async (request) => {
    const scope = scopeFor(request.principal);
    const query = parseQuery(analyticsQuerySchema, request.query);
    const filter = toAnalyticsFilter(query, now());
    const points = await store.timeseries(filter, query.bucket, query.group_by ?? null, scope);
    return {
      since: new Date(filter.since).toISOString(),
      until: new Date(filter.until).toISOString(),
      bucket: query.bucket,
      group_by: query.group_by ?? null,
      data: points.map((point) => ({ bucket_start: new Date(point.bucketStart).toISOString(), ...toWireFigures(point) })),
    };
  });

  app.get('/admin/api/analytics/errors', async (request) => {
    const scope = scopeFor(request.principal);
    const query = parseQuery(analyticsQuerySchema, request.query);
    const codes = await store.topErrorCodes(toAnalyticsFilter(query, now()), query.limit ?? 10, scope);
    return { data: codes.map((code) => ({ error_code: code.errorCode, count: code.count })) };
  });

  app.get('/admin/api/analytics/cost-by-user', async (request) => {
    const scope = scopeFor(request.principal);
    const query = parseQuery(analyticsQuerySchema, request.query);
    const filter = toAnalyticsFilter({ ...query, since: query.since ?? '90d' }, now());
    const rows = await store.costPerUserPerMonth(filter, scope);
    return { data: rows.map((row) => ({ user: row.endUser, month: row.month, requests: row.requests, cost_usd: row.costUsd })) };
  });
}
