/**
 * Where the response cache keeps its entries. Entries are addressed by the request's key hash
 * (which already includes the tenant and namespace); the store also keeps each entry's tenant,
 * namespace and public model so they can be listed, invalidated and purged.
 *
 * Invalidation uses generation counters, one per (tenant, namespace path, model or `*`). An
 * entry remembers the generation its address had when its request was looked up; a lookup serves
 * it only while that generation is still current. Bumping one counter therefore hides every
 * entry below that path at once, on every instance that shares the store, in O(1); the rows
 * themselves go later (TTL expiry, `purge`).
 *
 * Namespaces are `/`-separated paths (`docs/api`); a prefix matches at segment boundaries, so
 * `docs` covers `docs` and `docs/api` but not `docsets`. The address's generation is the sum of
 * the counters of every ancestor path (the root `''` included), for `*` and for its model: any
 * bump on an ancestor raises the sum, and counters only grow, so the sum never repeats.
 */
export interface CacheAddress {
  keyHash: string;
  /** '' when the caller has no tenant. */
  tenantId: string;
  /** Normalised: no leading or trailing `/`; '' is the default namespace. */
  namespace: string;
  /** The public model the entry answers for. */
  model: string;
}

export type CacheEntryKind = 'chat' | 'embedding';

export interface CacheEntry extends CacheAddress {
  kind: CacheEntryKind;
  /** The address's generation when its request was looked up. */
  generation: number;
  /** Semantic cache only: the hash of everything but the last user message, and its embedding. */
  scopeHash: string | null;
  embedding: number[] | null;
  /** The stored result (JSON text, see cache/cached-result.ts). */
  value: string;
  originRequestId: string;
  /** What the original call cost, so a hit can report what it saved. */
  costUsd: number;
  createdAt: number;
  expiresAt: number;
  /** Bytes of `value` plus the embedding (8 bytes per number): what the memory budget counts. */
  sizeBytes: number;
  hitCount: number;
  lastHitAt: number | null;
}

/** An entry without its stored result and embedding: what listings show. */
export type CacheEntryMeta = Omit<CacheEntry, 'value' | 'embedding'>;

export interface CacheLookup {
  /** The live entry, or null when absent, expired or invalidated. */
  entry: CacheEntry | null;
  /** The address's current generation, to write a fresh answer with. */
  generation: number;
}

export interface SemanticPartition {
  tenantId: string;
  namespace: string;
  model: string;
  scopeHash: string;
}

export interface InvalidationTarget {
  /** `*` (ALL_TENANTS) = every tenant. */
  tenantId: string;
  /** '' = the whole tenant. */
  namespacePrefix: string;
  /** null = every model. */
  model: string | null;
}

export interface CacheListFilter {
  /** undefined = every tenant (master key). */
  tenantId?: string | undefined;
  namespacePrefix?: string | undefined;
  model?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface CacheEntryPage {
  entries: CacheEntryMeta[];
  nextCursor: string | null;
}

export interface CacheStoreStats {
  entries: number;
  bytes: number;
}

export interface CacheStore {
  /** `memory`, `sqlite`, `postgres`, `redis` or `disabled`. */
  readonly kind: string;
  lookup(address: CacheAddress, now: number): Promise<CacheLookup>;
  /** Live entries of one semantic partition (current generation, not expired), newest first. */
  semanticCandidates(partition: SemanticPartition, now: number, limit: number): Promise<CacheEntry[]>;
  /** Writes (or replaces) an entry; its TTL is `expiresAt - now`. */
  put(entry: CacheEntry, now: number): Promise<void>;
  /** Counts a hit. */
  touch(keyHash: string, now: number): Promise<void>;
  /** Removes one entry; a tenant-scoped caller only removes its own tenant's. */
  delete(keyHash: string, tenantId: string | undefined): Promise<boolean>;
  /** Bumps the target's generation counter; returns the new counter value. */
  invalidate(target: InvalidationTarget): Promise<number>;
  /** Physically deletes up to `limit` entries under the target (invalidated or not); returns how many. */
  purge(target: InvalidationTarget, limit: number): Promise<number>;
  /** Physically deletes up to `limit` expired entries (a reaper calls it in batches; Redis expires by itself). */
  purgeExpired(now: number, limit: number): Promise<number>;
  /** Entries in key-hash order, metadata only; expired ones are skipped. */
  list(filter: CacheListFilter, now: number): Promise<CacheEntryPage>;
  stats(tenantId: string | undefined, now: number): Promise<CacheStoreStats>;
  close(): Promise<void>;
}

/** `/docs/api/` → `docs/api`. */
export function normaliseNamespace(namespace: string): string {
  return namespace.replace(/^\/+|\/+$/g, '');
}

/** The paths whose counters make up a namespace's generation: '', 'docs', 'docs/api'. */
export function ancestorPaths(namespace: string): string[] {
  const paths = [''];
  if (namespace === '') return paths;
  const segments = namespace.split('/');
  for (let index = 1; index <= segments.length; index++) paths.push(segments.slice(0, index).join('/'));
  return paths;
}

/** Invalidates every tenant's entries (the master key's invalidations without a tenant). */
export const ALL_TENANTS = '*';

/** The counters (tenant, path, model) an address's generation sums: its tenant's and every tenant's. */
export function generationCounters(address: Pick<CacheAddress, 'tenantId' | 'namespace' | 'model'>): Array<{ tenantId: string; path: string; model: string }> {
  const counters: Array<{ tenantId: string; path: string; model: string }> = [];
  for (const tenantId of [address.tenantId, ALL_TENANTS]) {
    for (const path of ancestorPaths(address.namespace)) {
      counters.push({ tenantId, path, model: '*' }, { tenantId, path, model: address.model });
    }
  }
  return counters;
}

/** True when `namespace` lies at or below `prefix` (both normalised). */
export function namespaceMatches(namespace: string, prefix: string): boolean {
  return prefix === '' || namespace === prefix || namespace.startsWith(`${prefix}/`);
}

export function toEntryMeta(entry: CacheEntry): CacheEntryMeta {
  const { value: _value, embedding: _embedding, ...meta } = entry;
  return meta;
}

/** A cache that is off: nothing is found, nothing is kept. */
export class DisabledCacheStore implements CacheStore {
  readonly kind = 'disabled';
  async lookup(): Promise<CacheLookup> {
    return { entry: null, generation: 0 };
  }
  async semanticCandidates(): Promise<CacheEntry[]> {
    return [];
  }
  async put(): Promise<void> {}
  async touch(): Promise<void> {}
  async delete(): Promise<boolean> {
    return false;
  }
  async invalidate(): Promise<number> {
    return 0;
  }
  async purge(): Promise<number> {
    return 0;
  }
  async purgeExpired(): Promise<number> {
    return 0;
  }
  async list(): Promise<CacheEntryPage> {
    return { entries: [], nextCursor: null };
  }
  async stats(): Promise<CacheStoreStats> {
    return { entries: 0, bytes: 0 };
  }
  async close(): Promise<void> {}
}
