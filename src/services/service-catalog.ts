import { GatewayError } from '../core/index.js';
import type { ServiceStore, StoredService } from '../storage/index.js';
import { checkServiceDefinition } from './check-service-definitions.js';
import { compileJsonSchema } from './json/index.js';
import type { JsonSchemaValidator } from './json/index.js';
import { FIX_JSON } from './fix-json-service.js';
import { serviceDefinitionSchema } from './service-definition.js';
import type { ServiceDefinition } from './service-definition.js';

/** A service ready to run: its definition, where it came from, and its schemas compiled once. */
export interface ResolvedService {
  definition: ServiceDefinition;
  source: 'builtin' | 'file' | 'admin';
  /** The owning tenant of an admin-defined service; null for global ones. */
  tenantId: string | null;
  createdAt: number | null;
  updatedAt: number | null;
  input: JsonSchemaValidator | null;
  output: JsonSchemaValidator | null;
}

/** Who manages services: the master key (any tenant, or global) or a tenant admin (its tenant). */
export interface ServiceActor {
  role: 'admin' | 'tenant_admin' | 'client';
  tenantId: string | null;
}

export interface ServiceCatalogOptions {
  /** From the config file: read-only through the admin API. */
  fileServices: readonly ServiceDefinition[];
  store: ServiceStore;
  /** Whether a model name can be routed (public model or provider/model). */
  modelExists: (model: string) => boolean;
  clock?: () => number;
  /** How long a looked-up admin service is reused before the store is asked again. */
  cacheTtlMs?: number;
}

/**
 * Every service a caller may name: built-in (`fix_json`), then the config file's, then the
 * admin API's (global, and the caller's tenant). A tenant's service shadows a global one of the
 * same name; file and built-in names are reserved, so nobody can replace them through the API.
 */
export class ServiceCatalog {
  private readonly options: ServiceCatalogOptions;
  private readonly clock: () => number;
  private readonly fixed = new Map<string, ResolvedService>();
  private readonly cache = new Map<string, { service: ResolvedService | null; expiresAt: number }>();

  constructor(options: ServiceCatalogOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
    this.fixed.set(FIX_JSON.name, compile(FIX_JSON, 'builtin', null, null, null));
    for (const definition of options.fileServices) this.fixed.set(definition.name, compile(definition, 'file', null, null, null));
  }

  /** The service a caller of this tenant means by `name`, or null. */
  async resolve(name: string, tenantId: string | null): Promise<ResolvedService | null> {
    const fixed = this.fixed.get(name);
    if (fixed !== undefined) return fixed;
    const cacheKey = `${tenantId ?? ''}\u0000${name}`;
    const cached = this.cache.get(cacheKey);
    const now = this.clock();
    if (cached !== undefined && cached.expiresAt > now) return cached.service;
    let stored = tenantId === null ? null : await this.options.store.get(tenantId, name);
    stored ??= await this.options.store.get(null, name);
    const service = stored === null ? null : fromStored(stored);
    this.cache.set(cacheKey, { service, expiresAt: now + (this.options.cacheTtlMs ?? 2000) });
    return service;
  }

  /** Every service visible to a caller of this tenant (the master key: every tenant's too). */
  async list(actor: ServiceActor): Promise<ResolvedService[]> {
    const everyTenant = actor.role === 'admin' && actor.tenantId === null;
    const stored = (await this.options.store.list(everyTenant ? 'all' : [null, actor.tenantId])).map(fromStored);
    const shadowed = new Set(stored.filter((service) => service.tenantId !== null).map((service) => service.definition.name));
    const visible = everyTenant
      ? stored
      : stored.filter((service) => service.tenantId !== null || !shadowed.has(service.definition.name));
    return [...this.fixed.values(), ...visible];
  }

  async get(actor: ServiceActor, name: string, tenant?: string | null): Promise<ResolvedService> {
    const fixed = this.fixed.get(name);
    if (fixed !== undefined) return fixed;
    const owner = ownerFor(actor, tenant);
    const stored = await this.options.store.get(owner, name) ?? (tenant === undefined && owner !== null ? await this.options.store.get(null, name) : null);
    if (stored === null) throw unknownService(name);
    return fromStored(stored);
  }

  async create(actor: ServiceActor, body: unknown, tenant?: string | null): Promise<ResolvedService> {
    const definition = this.parse(body);
    const owner = ownerFor(actor, tenant);
    if (this.fixed.has(definition.name)) throw readOnly(definition.name);
    if (await this.options.store.get(owner, definition.name) !== null) {
      throw new GatewayError('invalid_request', `A service named ${definition.name} already exists.`, { param: 'name' });
    }
    const now = this.clock();
    const stored: StoredService = { tenantId: owner, name: definition.name, definition: { ...definition }, createdAt: now, updatedAt: now };
    await this.options.store.insert(stored);
    this.cache.clear();
    return fromStored(stored);
  }

  /** Replaces the definition (the name in the path wins over one in the body). */
  async update(actor: ServiceActor, name: string, body: unknown, tenant?: string | null): Promise<ResolvedService> {
    if (this.fixed.has(name)) throw readOnly(name);
    const owner = ownerFor(actor, tenant);
    const current = await this.options.store.get(owner, name);
    if (current === null) throw unknownService(name);
    const merged = body !== null && typeof body === 'object' && !Array.isArray(body) ? { ...body, name } : body;
    const definition = this.parse(merged);
    const updated = await this.options.store.update(owner, name, { ...definition }, this.clock());
    if (updated === null) throw unknownService(name);
    this.cache.clear();
    return fromStored(updated);
  }

  async delete(actor: ServiceActor, name: string, tenant?: string | null): Promise<void> {
    if (this.fixed.has(name)) throw readOnly(name);
    if (!await this.options.store.delete(ownerFor(actor, tenant), name)) throw unknownService(name);
    this.cache.clear();
  }

  private parse(body: unknown): ServiceDefinition {
    const parsed = serviceDefinitionSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue === undefined ? null : issue.path.map(String).join('.');
      throw new GatewayError('invalid_request', issue === undefined ? 'Invalid service.' : `Invalid value for '${param}': ${issue.message}.`, { param });
    }
    const problem = checkServiceDefinition(parsed.data, this.options.modelExists)[0];
    if (problem !== undefined) throw new GatewayError('invalid_request', `Invalid value for '${problem.path}': ${problem.message}.`, { param: problem.path });
    return parsed.data;
  }
}

/** Tenant admins act in their tenant; the master key in the tenant it names, else the global namespace. */
function ownerFor(actor: ServiceActor, tenant: string | null | undefined): string | null {
  if (actor.role === 'client') throw new GatewayError('permission_denied', 'This key may not use the admin API.');
  if (actor.role === 'tenant_admin') {
    if (tenant !== undefined && tenant !== actor.tenantId) throw new GatewayError('permission_denied', 'A tenant admin manages only its own tenant.');
    return actor.tenantId;
  }
  return tenant ?? actor.tenantId;
}

function compile(
  definition: ServiceDefinition, source: ResolvedService['source'], tenantId: string | null, createdAt: number | null, updatedAt: number | null,
): ResolvedService {
  return {
    definition,
    source,
    tenantId,
    createdAt,
    updatedAt,
    input: definition.input_schema === undefined ? null : compileJsonSchema(definition.input_schema),
    output: definition.output_schema === undefined ? null : compileJsonSchema(definition.output_schema),
  };
}

function fromStored(stored: StoredService): ResolvedService {
  // Stored definitions were checked when written; a row that no longer parses is a bug to surface.
  const definition = serviceDefinitionSchema.parse(stored.definition);
  return compile(definition, 'admin', stored.tenantId, stored.createdAt, stored.updatedAt);
}

export function unknownService(name: string): GatewayError {
  return new GatewayError('unknown_service', `Unknown AI service: ${name}`, { param: 'service' });
}

function readOnly(name: string): GatewayError {
  return new GatewayError('permission_denied', `The service ${name} is defined in the config file (or built in) and is read-only here.`);
}
