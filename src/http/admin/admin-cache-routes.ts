import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ALL_TENANTS, normaliseNamespace } from '../../cache/index.js';
import type { CacheEntryMeta, CacheStore } from '../../cache/index.js';
import { GatewayError } from '../../core/index.js';
import type { RequestLogQueries } from '../../inference/index.js';
import { adminScope } from '../../policies/index.js';
import { parseQuery, parseWindow } from './analytics-query.js';

export interface AdminCacheRoutesOptions {
  store: CacheStore;
  requestLog: RequestLogQueries;
  clock: () => number;
}

/** Entries removed per purge step after an invalidation (the rest expire or go with the next purge). */
const PURGE_BATCH = 10_000;

const statsQuerySchema = z.object({
  since: z.string().min(1).optional(),
  until: z.string().min(1).optional(),
  group_by: z.enum(['model', 'key', 'tenant', 'namespace']).optional(),
  model: z.string().min(1).optional(),
});

const entriesQuerySchema = z.object({
  namespace_prefix: z.string().optional(),
  model: z.string().min(1).optional(),
  tenant_id: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).optional(),
});

const invalidateSchema = z.strictObject({
  namespace_prefix: z.string().default(''),
  model: z.string().min(1).optional(),
  /** Master key only: one tenant's entries ('' = requests without a tenant); every tenant when absent. */
  tenant_id: z.string().optional(),
  all: z.boolean().optional(),
});

/**
 * /admin/api/cache: hit rates and savings (from the request log), entries (metadata only),
 * deleting one, and invalidating by namespace prefix and model. Tenant admins see and purge
 * only their own tenant's.
 */
export async function adminCacheRoutes(app: FastifyInstance, options: AdminCacheRoutesOptions): Promise<void> {
  const { store } = options;

  app.get('/admin/api/cache/stats', async (request) => {
    const { tenantId } = adminScope(principalOf(request.principal));
    const query = parseQuery(statsQuerySchema, request.query);
    const window = parseWindow(query.since, query.until, options.clock());
    const now = options.clock();
    const stored = await store.stats(tenantId, now);
    const base = { since: new Date(window.since).toISOString(), until: new Date(window.until).toISOString(), group_by: query.group_by ?? null };
    if (query.group_by === 'namespace') {
      return { ...base, store: { kind: store.kind, ...stored }, data: await namespaceStats(store, tenantId, query.model, now) };
    }
    const groups = await options.requestLog.summary(request.principal, { ...window, model: query.model }, query.group_by ?? null);
    return {
      ...base,
      store: { kind: store.kind, ...stored },
      data: groups.map((group) => ({
        group: group.group, requests: group.requests, hits: group.cacheHits, hit_rate: group.cacheHitRate, saved_usd: group.savedUsd,
        cost_usd: group.costUsd,
      })),
    };
  });

  app.get('/admin/api/cache/entries', async (request) => {
    const scope = adminScope(principalOf(request.principal));
    const query = parseQuery(entriesQuerySchema, request.query);
    const page = await store.list({
      tenantId: scope.tenantId ?? query.tenant_id, namespacePrefix: query.namespace_prefix, model: query.model,
      limit: query.limit, cursor: query.cursor,
    }, options.clock());
    return { data: page.entries.map(toWireEntry), next_cursor: page.nextCursor };
  });

  app.delete<{ Params: { key: string } }>('/admin/api/cache/entries/:key', async (request) => {
    const { tenantId } = adminScope(principalOf(request.principal));
    if (!(await store.delete(request.params.key, tenantId))) throw new GatewayError('not_found', `No cache entry ${request.params.key}.`);
    return { deleted: true, key: request.params.key };
  });

  app.post('/admin/api/cache/invalidate', async (request) => {
    const scope = adminScope(principalOf(request.principal));
    const parsed = invalidateSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new GatewayError('invalid_request', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`, { param: issue?.path.join('.') });
    }
    const body = parsed.data;
    if (body.namespace_prefix === '' && body.model === undefined && body.all !== true) {
      throw new GatewayError('invalid_request', 'Give namespace_prefix or model, or "all": true to invalidate everything.', { param: 'namespace_prefix' });
    }
    if (scope.tenantId !== undefined && body.tenant_id !== undefined && body.tenant_id !== scope.tenantId) {
      throw new GatewayError('permission_denied', 'A tenant admin invalidates only its own tenant\'s entries.');
    }
    const target = {
      tenantId: scope.tenantId ?? body.tenant_id ?? ALL_TENANTS,
      namespacePrefix: normaliseNamespace(body.namespace_prefix),
      model: body.model ?? null,
    };
    const generation = await store.invalidate(target);
    // Invalidated entries are already unreachable; removing them is only housekeeping.
    setImmediate(() => {
      store.purge(target, PURGE_BATCH).catch((error: unknown) => request.log.warn({ err: error }, 'cache purge failed'));
    });
    return { generation, tenant_id: target.tenantId === ALL_TENANTS ? null : target.tenantId, namespace_prefix: target.namespacePrefix, model: target.model };
  });
}

function principalOf<T>(principal: T | null): T {
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  return principal;
}

function toWireEntry(entry: CacheEntryMeta): Record<string, unknown> {
  return {
    key: entry.keyHash,
    tenant_id: entry.tenantId === '' ? null : entry.tenantId,
    namespace: entry.namespace,
    model: entry.model,
    kind: entry.kind,
    semantic: entry.scopeHash !== null,
    origin_request_id: entry.originRequestId,
    cost_usd: entry.costUsd,
    size_bytes: entry.sizeBytes,
    hit_count: entry.hitCount,
    last_hit_at: entry.lastHitAt === null ? null : new Date(entry.lastHitAt).toISOString(),
    created_at: new Date(entry.createdAt).toISOString(),
    expires_at: new Date(entry.expiresAt).toISOString(),
  };
}

/** Stored entries per namespace (the request log does not record namespaces): entries, bytes, hits and what they saved. */
async function namespaceStats(store: CacheStore, tenantId: string | undefined, model: string | undefined, now: number) {
  const groups = new Map<string, { entries: number; bytes: number; hits: number; saved_usd: number }>();
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await store.list({ tenantId, model, limit: 1000, cursor }, now);
    for (const entry of result.entries) {
      const group = groups.get(entry.namespace) ?? { entries: 0, bytes: 0, hits: 0, saved_usd: 0 };
      group.entries += 1;
      group.bytes += entry.sizeBytes;
      group.hits += entry.hitCount;
      group.saved_usd += entry.hitCount * entry.costUsd;
      groups.set(entry.namespace, group);
    }
    if (result.nextCursor === null) break;
    cursor = result.nextCursor;
  }
  return [...groups.entries()].sort(([left], [right]) => (left < right ? -1 : 1)).map(([group, figures]) => ({ group, ...figures }));
}
