import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/index.js';
import type { RequestLogQueries } from '../../inference/index.js';
import {
  analyticsQuerySchema, logsQuerySchema, parseQuery, toAnalyticsFilter, toLogFilter, toWireFigures, toWireLog,
} from './analytics-query.js';

export interface AdminRoutesOptions {
  requestLog: RequestLogQueries;
  clock?: () => number;
}

/** /admin/api: the request log and analytics. Keys, tenants and the rest join here later. */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const queries = options.requestLog;
  const now = options.clock ?? Date.now;

  app.get('/admin/api/logs', async (request) => {
    const query = parseQuery(logsQuerySchema, request.query);
    const page = await queries.list(request.principal, toLogFilter(query, now()), { limit: query.limit, cursor: query.cursor });
    return { data: page.data.map((row) => toWireLog(row, false)), next_cursor: page.nextCursor };
  });

  app.get<{ Params: { requestId: string } }>('/admin/api/logs/:requestId', async (request) => {
    const row = await queries.get(request.principal, request.params.requestId);
    if (row === null) throw new GatewayError('not_found', `No request ${request.params.requestId} in the log.`);
    return toWireLog(row, true);
  });

  app.get('/admin/api/analytics/summary', async (request) => {
    const query = parseQuery(analyticsQuerySchema, request.query);
    const filter = toAnalyticsFilter(query, now());
    const groups = await queries.summary(request.principal, filter, query.group_by ?? null);
    return {
      since: new Date(filter.since).toISOString(),
      until: new Date(filter.until).toISOString(),
      group_by: query.group_by ?? null,
      data: groups.map(toWireFigures),
    };
  });

  app.get('/admin/api/analytics/timeseries', async (request) => {
    const query = parseQuery(analyticsQuerySchema, request.query);
    const filter = toAnalyticsFilter(query, now());
    const points = await queries.timeseries(request.principal, filter, query.bucket, query.group_by ?? null);
    return {
      since: new Date(filter.since).toISOString(),
      until: new Date(filter.until).toISOString(),
      bucket: query.bucket,
      group_by: query.group_by ?? null,
      data: points.map((point) => ({ bucket_start: new Date(point.bucketStart).toISOString(), ...toWireFigures(point) })),
    };
  });

  app.get('/admin/api/analytics/errors', async (request) => {
    const query = parseQuery(analyticsQuerySchema, request.query);
    const codes = await queries.topErrorCodes(request.principal, toAnalyticsFilter(query, now()), query.limit ?? 10);
    return { data: codes.map((code) => ({ error_code: code.errorCode, count: code.count })) };
  });

  app.get('/admin/api/analytics/cost-by-user', async (request) => {
    const query = parseQuery(analyticsQuerySchema, request.query);
    const filter = toAnalyticsFilter({ ...query, since: query.since ?? '90d' }, now());
    const rows = await queries.costPerUserPerMonth(request.principal, filter);
    return { data: rows.map((row) => ({ user: row.endUser, month: row.month, requests: row.requests, cost_usd: row.costUsd })) };
  });
}
