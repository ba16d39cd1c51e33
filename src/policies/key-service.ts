import { hash as oneShotHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../core/index.js';
import type { KeyStore, StoredLimits, VirtualKeyPatch, VirtualKeyRecord } from '../storage/index.js';
import { adminScope } from './admin-scope.js';
import type { LimitSet, TierTable } from './limit-set.js';
import { LIMIT_FIELDS, mergeLimits } from './limit-set.js';
import type { Principal } from './principal.js';

export const KEY_PREFIX = 'sk-sluice-';

export interface KeyServiceOptions {
  store: KeyStore;
  tiers: TierTable;
  /** How long a verified key is trusted without asking the store again (revocation reaches other instances within it). */
  cacheTtlMs: number;
  clock?: () => number;
  /** Called when recording `last used` fails; never on the request path. */
  onBackgroundError?: (error: unknown) => void;
  /**
   * While the store fails, a key verified within this long keeps working from the cache
   * (stale-if-error); 0 = never. A key the cache does not hold gets a 503 to try again.
   */
  staleIfErrorMs?: number | undefined;
  /** Called when a key was served from the cache because the store failed. */
  onStale?: ((error: unknown) => void) | undefined;
}

export interface NewKey {
  name: string;
  tenantId?: string | null | undefined;
  userId?: string | null | undefined;
  role?: 'client' | 'tenant_admin' | undefined;
  tier?: string | null | undefined;
  allowedModels?: string[] | null | undefined;
  allowedServices?: string[] | null | undefined;
  limits?: StoredLimits | undefined;
  metadata?: Record<string, string> | undefined;
  enabled?: boolean | undefined;
  expiresAt?: number | null | undefined;
}

/** A key as the admin API shows it: never the secret or its hash. */
export interface KeyView {
  id: string;
  name: string;
  key_hint: string;
  tenant: string | null;
  user: string | null;
  role: 'client' | 'tenant_admin';
  tier: string | null;
  models: string[] | null;
  services: string[] | null;
  /** snake_case, as the admin API takes them. */
  limits: Record<string, number | string>;
  metadata: Record<string, string>;
  enabled: boolean;
  status: 'active' | 'disabled' | 'expired' | 'revoked';
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface CachedKey {
  record: VirtualKeyRecord;
  /** The stored hash as bytes, for the constant-time comparison. */
  storedDigest: Buffer;
  principal: Principal;
  until: number;
  /** When the store last confirmed the record. */
  verifiedAt: number;
}

const TOUCH_INTERVAL_MS = 60_000;
/** A key lookup gives up after this long: a database that hangs must not hang every request. */
const LOOKUP_TIMEOUT_MS = 1000;
/** After a failed lookup, the store is left alone this long (stale keys and 503s answer at once). */
const STORE_RETRY_MS = 1000;

/**
 * Virtual keys: created with a secret shown once and stored as its SHA-256, verified in constant
 * time, cached for at most `cacheTtlMs`. Every admin operation is scoped to the actor's tenant.
 */
export class KeyService {
  private readonly options: KeyServiceOptions;
  private readonly clock: () => number;
  private readonly cache = new Map<string, CachedKey>();
  /** performance.now() until which lookups skip the store after a failure. */
  private storeDownUntil = 0;

  constructor(options: KeyServiceOptions) {
    this.options = options;
    this.clock = options.clock ?? Date.now;
  }

  async authenticate(secret: string): Promise<Principal | null> {
    if (!secret.startsWith(KEY_PREFIX)) return null;
    const digest = oneShotHash('sha256', secret, 'buffer');
    const hash = digest.toString('hex');
    const now = this.clock();
    let cached = this.cache.get(hash);
    if (cached === undefined || cached.until <= now) {
      let record: VirtualKeyRecord | null;
      try {
        record = await this.lookup(hash);
      } catch (error) {
        // Stale-if-error: a key the store confirmed recently keeps working through an outage; a
        // revocation made meanwhile applies once the store answers again (within cacheTtlMs).
        if (cached === undefined || now - cached.verifiedAt > (this.options.staleIfErrorMs ?? 0)) throw keysUnavailable(error);
        this.options.onStale?.(error);
        return this.accept(cached, digest, now);
      }
      if (record === null) {
        this.cache.delete(hash);
        return null;
      }
      cached = {
        record, storedDigest: Buffer.from(record.hash, 'hex'), principal: this.principalOf(record), until: now + this.options.cacheTtlMs, verifiedAt: now,
      };
      this.cache.set(hash, cached);
    }
    return this.accept(cached, digest, now);
  }

  private async lookup(hash: string): Promise<VirtualKeyRecord | null> {
    if (performance.now() < this.storeDownUntil) throw new Error('the key store failed moments ago');
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.options.store.findByHash(hash),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`the key store did not answer within ${LOOKUP_TIMEOUT_MS} ms`)), LOOKUP_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      this.storeDownUntil = performance.now() + STORE_RETRY_MS;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private accept(cached: CachedKey, digest: Buffer, now: number): Principal | null {
    const { record } = cached;
    // The lookup is by hash; compare the stored hash in constant time all the same.
    if (cached.storedDigest.length !== digest.length || !timingSafeEqual(cached.storedDigest, digest)) return null;
    if (statusOf(record, now) !== 'active') return null;
    if (record.lastUsedAt === null || now - record.lastUsedAt >= TOUCH_INTERVAL_MS) {
      record.lastUsedAt = now;
      this.options.store.touch(record.id, now).catch((error: unknown) => this.options.onBackgroundError?.(error));
    }
    return cached.principal;
  }

  /**
   * The principal of the key with this id while it is active, read from the store every time (no
   * cache): a dashboard session asks on each request, so a revoked key ends its sessions at once
   * on every instance.
   */
  async activePrincipal(id: string): Promise<Principal | null> {
    const record = await this.options.store.get(id);
    if (record === null || statusOf(record, this.clock()) !== 'active') return null;
    return this.principalOf(record);
  }

  async create(actor: Principal, newKey: NewKey): Promise<{ view: KeyView; key: string }> {
    let input = newKey;
    const tenantId = this.tenantFor(actor, input.tenantId ?? null);
    const role = input.role ?? 'client';
    if (role === 'tenant_admin' && tenantId === null) {
      throw new GatewayError('invalid_request', 'A tenant_admin key needs a tenant.', { param: 'tenant' });
    }
    this.checkTier(input.tier ?? null);
    if (adminScope(actor).tenantId !== undefined) {
      // A tenant admin hands out at most what it holds itself.
      input = { ...input, ...this.withinCeilings(
        { tier: actor.tier, limits: actor.limits, allowedModels: actor.allowedModels, allowedServices: null, enabled: true, expiresAt: actor.expiresAt ?? null },
        { tier: input.tier ?? null, limits: input.limits ?? {}, allowedModels: input.allowedModels ?? null, enabled: input.enabled ?? true, expiresAt: input.expiresAt ?? null },
        input,
      ) };
    }
    const secret = `${KEY_PREFIX}${randomBytes(24).toString('base64url')}`;
    const now = this.clock();
    const record: VirtualKeyRecord = {
      id: `key_${now.toString(36)}${randomBytes(6).toString('hex')}`,
      hash: hashSecret(secret),
      lastFour: secret.slice(-4),
      name: input.name,
      tenantId,
      userId: input.userId ?? null,
      role,
      tier: input.tier ?? null,
      allowedModels: input.allowedModels ?? null,
      allowedServices: input.allowedServices ?? null,
      limits: input.limits ?? {},
      metadata: input.metadata ?? {},
      enabled: input.enabled ?? true,
      expiresAt: input.expiresAt ?? null,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.options.store.insert(record);
    return { view: viewOf(record, now), key: secret };
  }

  async list(actor: Principal, query: { limit: number; cursor?: string | undefined }): Promise<{ data: KeyView[]; next_cursor: string | null }> {
    const { tenantId } = adminScope(actor);
    const { records, nextCursor } = await this.options.store.list({ tenantId, limit: query.limit, cursor: query.cursor });
    const now = this.clock();
    return { data: records.map((record) => viewOf(record, now)), next_cursor: nextCursor };
  }

  async get(actor: Principal, id: string): Promise<KeyView> {
    return viewOf(await this.visibleRecord(actor, id), this.clock());
  }

  async update(actor: Principal, id: string, requested: VirtualKeyPatch): Promise<KeyView> {
    let patch = requested;
    const record = await this.visibleRecord(actor, id);
    if (record.revokedAt !== null) throw new GatewayError('invalid_request', 'A revoked key cannot be changed.');
    if (patch.tier !== undefined) this.checkTier(patch.tier);
    if (patch.role === 'tenant_admin' && record.tenantId === null) {
      throw new GatewayError('invalid_request', 'A tenant_admin key needs a tenant.', { param: 'role' });
    }
    if (adminScope(actor).tenantId !== undefined) {
      // What the master key set is a ceiling: a tenant admin can lower it, never lift it.
      patch = { ...patch, ...this.withinCeilings(record, {
        tier: patch.tier === undefined ? record.tier : patch.tier,
        limits: patch.limits ?? record.limits,
        allowedModels: patch.allowedModels === undefined ? record.allowedModels : patch.allowedModels,
        allowedServices: patch.allowedServices === undefined ? record.allowedServices : patch.allowedServices,
        enabled: patch.enabled ?? record.enabled,
        expiresAt: patch.expiresAt === undefined ? record.expiresAt : patch.expiresAt,
      }, patch) };
    }
    const updated = await this.options.store.update(id, { ...patch, updatedAt: this.clock() });
    if (updated === null) throw notFound(id);
    this.forget(record.hash);
    return viewOf(updated, this.clock());
  }

  async revoke(actor: Principal, id: string): Promise<KeyView> {
    const record = await this.visibleRecord(actor, id);
    const now = this.clock();
    const updated = record.revokedAt !== null ? record : await this.options.store.update(id, { updatedAt: now, revokedAt: now, enabled: false });
    if (updated === null) throw notFound(id);
    // Stops at once here; other instances drop it when their cache entry ends (cacheTtlMs).
    this.forget(record.hash);
    return viewOf(updated, now);
  }

  /**
   * A tenant admin's change measured against the ceiling (the key as the master left it, or the
   * admin's own key for a new one): a limit, model list, service list or expiry the request
   * raises explicitly is refused; one it drops or lifts through a tier falls back to the ceiling;
   * a disabled key stays disabled. Returns the fields to store instead.
   */
  private withinCeilings(ceiling: Ceiling, after: Ceiling, requested: { limits?: LimitSet | undefined; expiresAt?: number | null | undefined }): Pick<VirtualKeyRecord, 'limits'> & Partial<VirtualKeyRecord> {
    const ceilingLimits = mergeLimits(ceiling.tier === null ? undefined : this.options.tiers.get(ceiling.tier), ceiling.limits);
    const afterLimits = mergeLimits(after.tier === null ? undefined : this.options.tiers.get(after.tier), after.limits);
    const limits: LimitSet = { ...after.limits };
    for (const field of LIMIT_FIELDS) {
      if (field === 'budgetPeriod') continue;
      const most = ceilingLimits[field];
      const wanted = afterLimits[field];
      if (most === undefined || (wanted !== undefined && wanted <= most)) continue;
      if (requested.limits?.[field] !== undefined) throw ceilingError(`limits.${snakeCase(field)}`, `at most ${most}`);
      Object.assign(limits, { [field]: most });
    }
    if (ceilingLimits.budgetUsd !== undefined) {
      const period = ceilingLimits.budgetPeriod ?? 'total';
      if (mergeLimits(afterLimits, limits).budgetPeriod === undefined) limits.budgetPeriod = period;
      const wantedPeriod = mergeLimits(afterLimits, limits).budgetPeriod ?? 'total';
      // A daily budget refills more often than a monthly one, which refills more than a total.
      if (PERIOD_GENEROSITY[wantedPeriod] > PERIOD_GENEROSITY[period]) {
        if (requested.limits?.budgetPeriod !== undefined) throw ceilingError('limits.budget_period', `"${period}" or longer`);
        limits.budgetPeriod = period;
      }
    }
    const fields: Pick<VirtualKeyRecord, 'limits'> & Partial<VirtualKeyRecord> = { limits };
    const models = narrowed(ceiling.allowedModels, after.allowedModels, 'models');
    if (models !== undefined) fields.allowedModels = models;
    const services = narrowed(ceiling.allowedServices, after.allowedServices, 'services');
    if (services !== undefined) fields.allowedServices = services;
    if (!ceiling.enabled && after.enabled) throw ceilingError('enabled', 'false: only the master key re-enables a disabled key');
    if (ceiling.expiresAt !== null && (after.expiresAt === null || after.expiresAt > ceiling.expiresAt)) {
      if (after.expiresAt === null && requested.expiresAt === undefined) fields.expiresAt = ceiling.expiresAt;
      else throw ceilingError('expires_at', `no later than ${new Date(ceiling.expiresAt).toISOString()}`);
    }
    return fields;
  }

  private principalOf(record: VirtualKeyRecord): Principal {
    const tier = record.tier === null ? undefined : this.options.tiers.get(record.tier);
    return Object.freeze({
      role: record.role,
      keyId: record.id,
      tenantId: record.tenantId,
      label: record.name,
      userId: record.userId,
      tier: record.tier,
      allowedModels: record.allowedModels === null || record.allowedModels.length === 0 ? null : Object.freeze([...record.allowedModels]),
      allowedServices: record.allowedServices === null || record.allowedServices.length === 0 ? null : Object.freeze([...record.allowedServices]),
      limits: Object.freeze(mergeLimits(tier, record.limits)),
      limitSubject: `key:${record.id}`,
      // Keys of one application can share their end users' counters by naming the same app_id.
      endUserScope: record.metadata.app_id === undefined ? `key:${record.id}` : `app:${record.tenantId ?? '-'}:${record.metadata.app_id}`,
      expiresAt: record.expiresAt,
    });
  }

  private forget(hash: string): void {
    this.cache.delete(hash);
  }

  private async visibleRecord(actor: Principal, id: string): Promise<VirtualKeyRecord> {
    const record = await this.options.store.get(id);
    if (record === null) throw notFound(id);
    // Another tenant's key looks exactly like a missing one.
    const { tenantId } = adminScope(actor);
    if (tenantId !== undefined && record.tenantId !== tenantId) throw notFound(id);
    return record;
  }

  private tenantFor(actor: Principal, requested: string | null): string | null {
    const { tenantId } = adminScope(actor);
    if (tenantId === undefined) return requested;
    if (requested !== null && requested !== tenantId) throw forbidden();
    return tenantId;
  }

  private checkTier(tier: string | null): void {
    if (tier !== null && !this.options.tiers.has(tier)) {
      throw new GatewayError('invalid_request', `Unknown tier "${tier}"; configured tiers: ${[...this.options.tiers.keys()].join(', ') || 'none'}.`, { param: 'tier' });
    }
  }
}

export function hashSecret(secret: string): string {
  return oneShotHash('sha256', secret, 'hex');
}

function statusOf(record: VirtualKeyRecord, now: number): KeyView['status'] {
  if (record.revokedAt !== null) return 'revoked';
  if (record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  if (!record.enabled) return 'disabled';
  return 'active';
}

function viewOf(record: VirtualKeyRecord, now: number): KeyView {
  const iso = (value: number | null) => (value === null ? null : new Date(value).toISOString());
  return {
    id: record.id,
    name: record.name,
    key_hint: `${KEY_PREFIX}…${record.lastFour}`,
    tenant: record.tenantId,
    user: record.userId,
    role: record.role,
    tier: record.tier,
    models: record.allowedModels,
    services: record.allowedServices,
    limits: snakeCaseLimits(record.limits),
    metadata: record.metadata,
    enabled: record.enabled,
    status: statusOf(record, now),
    expires_at: iso(record.expiresAt),
    created_at: new Date(record.createdAt).toISOString(),
    updated_at: new Date(record.updatedAt).toISOString(),
    last_used_at: iso(record.lastUsedAt),
    revoked_at: iso(record.revokedAt),
  };
}

function snakeCaseLimits(limits: StoredLimits): Record<string, number | string> {
  const view: Record<string, number | string> = {};
  for (const [field, value] of Object.entries(limits)) {
    if (typeof value === 'number' || typeof value === 'string') view[field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)] = value;
  }
  return view;
}

/** What a tenant admin's change is measured against. */
interface Ceiling {
  tier: string | null;
  limits: LimitSet;
  allowedModels: readonly string[] | null;
  allowedServices?: readonly string[] | null | undefined;
  enabled: boolean;
  expiresAt: number | null;
}

const PERIOD_GENEROSITY = { total: 0, month: 1, day: 2 } as const;

/** The list to store when a ceiling list exists: the requested one if it is a subset, the ceiling if none was given. */
function narrowed(ceiling: readonly string[] | null | undefined, wanted: readonly string[] | null | undefined, param: string): string[] | undefined {
  if (ceiling === null || ceiling === undefined || ceiling.length === 0) return undefined;
  if (wanted === null || wanted === undefined || wanted.length === 0) return [...ceiling];
  const outside = wanted.find((item) => !ceiling.includes(item));
  if (outside !== undefined) throw ceilingError(param, `within [${ceiling.join(', ')}]; "${outside}" is not`);
  return undefined;
}

function ceilingError(param: string, allowed: string): GatewayError {
  return new GatewayError('permission_denied', `A tenant admin can only lower what the master key set: ${param} must be ${allowed}.`, { param });
}

function snakeCase(field: string): string {
  return field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function notFound(id: string): GatewayError {
  return new GatewayError('not_found', `No key with id ${id}.`);
}

function forbidden(): GatewayError {
  return new GatewayError('permission_denied', 'This key may not do that.');
}

function keysUnavailable(cause: unknown): GatewayError {
  return new GatewayError('service_unavailable', 'API keys cannot be verified right now (the key store is unavailable); try again shortly.', {
    cause, retryAfterMs: 1000, retryable: true,
  });
}
