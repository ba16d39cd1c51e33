import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import { adminScope } from '../../policies/index.js';
import type { ResolvedService, ServiceActor, ServiceCatalog } from '../../services/index.js';

const tenantQuerySchema = z.object({ tenant: z.string().min(1).optional() });

export interface AdminServiceRoutesOptions {
  catalog: ServiceCatalog;
}

/**
 * `/admin/api/services`: list, create, read, replace (PUT), change (PATCH) and delete services.
 * Built-in and config-file services are listed but read-only. A tenant admin works in its own
 * tenant; the master key in the global namespace, or in a tenant named by `tenant` (body or query).
 */
export async function adminServiceRoutes(app: FastifyInstance, options: AdminServiceRoutesOptions): Promise<void> {
  const catalog = options.catalog;

  app.get('/admin/api/services', async (request) => ({
    data: (await catalog.list(actorOf(request))).map(toServiceView),
    next_cursor: null,
  }));

  app.post('/admin/api/services', async (request, reply) => {
    const { tenant, body } = splitTenant(request.body);
    return reply.code(201).send(toServiceView(await catalog.create(actorOf(request), body, tenant)));
  });

  app.get<{ Params: { name: string } }>('/admin/api/services/:name', async (request) =>
    toServiceView(await catalog.get(actorOf(request), request.params.name, tenantOf(request))));

  app.put<{ Params: { name: string } }>('/admin/api/services/:name', async (request) => {
    const { tenant, body } = splitTenant(request.body);
    return toServiceView(await catalog.update(actorOf(request), request.params.name, body, tenant ?? tenantOf(request)));
  });

  app.patch<{ Params: { name: string } }>('/admin/api/services/:name', async (request) => {
    const { tenant, body } = splitTenant(request.body);
    const owner = tenant ?? tenantOf(request);
    const current = await catalog.get(actorOf(request), request.params.name, owner);
    return toServiceView(await catalog.update(actorOf(request), request.params.name, { ...current.definition, ...asObject(body) }, owner));
  });

  app.delete<{ Params: { name: string } }>('/admin/api/services/:name', async (request, reply) => {
    await catalog.delete(actorOf(request), request.params.name, tenantOf(request));
    return reply.code(204).send();
  });
}

function actorOf(request: FastifyRequest): ServiceActor {
  const principal = request.principal;
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  adminScope(principal);
  return { role: principal.role, tenantId: principal.tenantId };
}

function tenantOf(request: FastifyRequest): string | undefined {
  const parsed = tenantQuerySchema.safeParse(request.query);
  return parsed.success ? parsed.data.tenant : undefined;
}

function asObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  }
  return { ...body };
}

/** `tenant` is where the service lives, not part of its definition. */
function splitTenant(body: unknown): { tenant: string | null | undefined; body: Record<string, unknown> } {
  const { tenant, ...rest } = asObject(body);
  if (tenant !== undefined && tenant !== null && typeof tenant !== 'string') {
    throw new GatewayError('invalid_request', 'tenant must be a string or null.', { param: 'tenant' });
  }
  return { tenant: typeof tenant === 'string' ? tenant : tenant === null ? null : undefined, body: rest };
}

function toServiceView(service: ResolvedService): Record<string, unknown> {
  return {
    ...service.definition,
    source: service.source,
    read_only: service.source !== 'admin',
    tenant: service.tenantId,
    created_at: service.createdAt === null ? null : new Date(service.createdAt).toISOString(),
    updated_at: service.updatedAt === null ? null : new Date(service.updatedAt).toISOString(),
  };
}
