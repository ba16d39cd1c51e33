import { hash as oneShotHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../core/index.js';
import type { KeyStore, StoredLimits, VirtualKeyPatch, VirtualKeyRecord } from '../storage/index.js';
import { adminScope } from './admin-scope.js';
import type { TierTable } from './limit-set.js';
import { mergeLimits } from './limit-set.js';
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
}

const TOUCH_INTERVAL_MS = 60_000;

/**
 * Virtual keys: created with a secret shown once and stored as its SHA-256, verified in constant
 * time, cached for at most `cacheTtlMs`. Every admin operation is scoped to the actor's tenant.
 */
export class KeyService {
  private readonly options: KeyServiceOptions;
  private readonly clock: () => number;
  private readonly cache = new Map<string, CachedKey>();

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
      const record = await this.options.store.findByHash(hash);
      if (record === null) {
        this.cache.delete(hash);
        return null;
      }
      cached = { record, storedDigest: Buffer.from(record.hash, 'hex'), principal: this.principalOf(record), until: now + this.options.cacheTtlMs };
      this.cache.set(hash, cached);
    }
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

  async create(actor: Principal, input: NewKey): Promise<{ view: KeyView; key: string }> {
    const tenantId = this.tenantFor(actor, input.tenantId ?? null);
    const role = input.role ?? 'client';
    if (role === 'tenant_admin' && tenantId === null) {
      throw new GatewayError('invalid_request', 'A tenant_admin key needs a tenant.', { param: 'tenant' });
    }
    this.checkTier(input.tier ?? null);
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

  async update(actor: Principal, id: string, patch: VirtualKeyPatch): Promise<KeyView> {
    const record = await this.visibleRecord(actor, id);
    if (record.revokedAt !== null) throw new GatewayError('invalid_request', 'A revoked key cannot be changed.');
    if (patch.tier !== undefined) this.checkTier(patch.tier);
    if (patch.role === 'tenant_admin' && record.tenantId === null) {
      throw new GatewayError('invalid_request', 'A tenant_admin key needs a tenant.', { param: 'role' });
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
      limits: Object.freeze(mergeLimits(tier, record.limits)),
      limitSubject: `key:${record.id}`,
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

function notFound(id: string): GatewayError {
  return new GatewayError('not_found', `No key with id ${id}.`);
}

function forbidden(): GatewayError {
  return new GatewayError('permission_denied', 'This key may not do that.');
}
