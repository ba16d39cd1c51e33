import { LRUCache } from 'lru-cache';
import type {
  CacheAddress, CacheEntry, CacheEntryPage, CacheListFilter, CacheLookup, CacheStore, CacheStoreStats, InvalidationTarget,
  SemanticPartition,
} from '../cache-store.js';
import { ALL_TENANTS, generationCounters, namespaceMatches, normaliseNamespace, toEntryMeta } from '../cache-store.js';

export interface MemoryCacheStoreOptions {
  /** The byte budget: least recently used entries are evicted past it. */
  maxBytes: number;
}

/** Fixed cost per entry on top of its value, so many tiny entries still count against the budget. */
const ENTRY_OVERHEAD_BYTES = 256;

/**
 * One instance's cache: a byte-bounded LRU (lru-cache `maxSize`). Expiry is checked against the
 * caller's clock, not lru-cache's own timer, so tests move time by hand.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  private readonly entries: LRUCache<string, CacheEntry>;
  private readonly generations = new Map<string, number>();
  /** Semantic partition → its entries' key hashes; kept in step with evictions. */
  private readonly partitions = new Map<string, Set<string>>();

  constructor(options: MemoryCacheStoreOptions) {
    this.entries = new LRUCache<string, CacheEntry>({
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => entry.sizeBytes + ENTRY_OVERHEAD_BYTES,
      dispose: (entry) => this.unindex(entry),
    });
  }

  async lookup(address: CacheAddress, now: number): Promise<CacheLookup> {
    const generation = this.generationOf(address);
    const entry = this.entries.get(address.keyHash);
    if (entry === undefined || !this.live(entry, now) || entry.generation !== generation || entry.tenantId !== address.tenantId) {
      return { entry: null, generation };
    }
    return { entry: { ...entry }, generation };
  }

  async semanticCandidates(partition: SemanticPartition, now: number, limit: number): Promise<CacheEntry[]> {
    const keys = this.partitions.get(partitionKey(partition));
    if (keys === undefined) return [];
    const generation = this.generationOf(partition);
    const found: CacheEntry[] = [];
    for (const keyHash of keys) {
      const entry = this.entries.peek(keyHash);
      if (entry !== undefined && this.live(entry, now) && entry.generation === generation) found.push(entry);
    }
    return found.sort((left, right) => right.createdAt - left.createdAt).slice(0, limit).map((entry) => ({ ...entry }));
  }

  async put(entry: CacheEntry, now: number): Promise<void> {
    if (entry.expiresAt <= now) return;
    this.entries.set(entry.keyHash, { ...entry });
    if (entry.scopeHash !== null && this.entries.has(entry.keyHash)) {
      const key = partitionKey({ ...entry, scopeHash: entry.scopeHash });
      let keys = this.partitions.get(key);
      if (keys === undefined) this.partitions.set(key, keys = new Set());
      keys.add(entry.keyHash);
    }
  }

  async touch(keyHash: string, now: number): Promise<void> {
    const entry = this.entries.peek(keyHash);
    if (entry === undefined) return;
    entry.hitCount += 1;
    entry.lastHitAt = now;
  }

  async delete(keyHash: string, tenantId: string | undefined): Promise<boolean> {
    const entry = this.entries.peek(keyHash);
    if (entry === undefined || (tenantId !== undefined && entry.tenantId !== tenantId)) return false;
    return this.entries.delete(keyHash);
  }

  async invalidate(target: InvalidationTarget): Promise<number> {
    const key = counterKey(target.tenantId, normaliseNamespace(target.namespacePrefix), target.model ?? '*');
    const next = (this.generations.get(key) ?? 0) + 1;
    this.generations.set(key, next);
    return next;
  }

  async purge(target: InvalidationTarget, limit: number): Promise<number> {
    const prefix = normaliseNamespace(target.namespacePrefix);
    const doomed: string[] = [];
    for (const [keyHash, entry] of this.entries.entries()) {
      if (doomed.length >= limit) break;
      if ((target.tenantId === ALL_TENANTS || entry.tenantId === target.tenantId) && namespaceMatches(entry.namespace, prefix) &&
        (target.model === null || entry.model === target.model)) doomed.push(keyHash);
    }
    for (const keyHash of doomed) this.entries.delete(keyHash);
    return doomed.length;
  }

  async purgeExpired(now: number, limit: number): Promise<number> {
    let removed = 0;
    for (const entry of [...this.entries.values()]) {
      if (removed >= limit) break;
      if (!this.live(entry, now)) removed += 1;
    }
    return removed;
  }

  async list(filter: CacheListFilter, now: number): Promise<CacheEntryPage> {
    const prefix = normaliseNamespace(filter.namespacePrefix ?? '');
    const matching: CacheEntry[] = [];
    for (const entry of this.entries.values()) {
      if (!this.live(entry, now)) continue;
      if (filter.tenantId !== undefined && entry.tenantId !== filter.tenantId) continue;
      if (!namespaceMatches(entry.namespace, prefix)) continue;
      if (filter.model !== undefined && entry.model !== filter.model) continue;
      if (filter.cursor !== undefined && entry.keyHash <= filter.cursor) continue;
      matching.push(entry);
    }
    matching.sort((left, right) => (left.keyHash < right.keyHash ? -1 : 1));
    const page = matching.slice(0, filter.limit);
    const last = page[page.length - 1];
    return {
      entries: page.map(toEntryMeta),
      nextCursor: matching.length > filter.limit && last !== undefined ? last.keyHash : null,
    };
  }

  async stats(tenantId: string | undefined, now: number): Promise<CacheStoreStats> {
    let entries = 0;
    let bytes = 0;
    for (const entry of this.entries.values()) {
      if (!this.live(entry, now) || (tenantId !== undefined && entry.tenantId !== tenantId)) continue;
      entries += 1;
      bytes += entry.sizeBytes;
    }
    return { entries, bytes };
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private live(entry: CacheEntry, now: number): boolean {
    if (entry.expiresAt > now) return true;
    this.entries.delete(entry.keyHash);
    return false;
  }

  private generationOf(address: Pick<CacheAddress, 'tenantId' | 'namespace' | 'model'>): number {
    let sum = 0;
    for (const counter of generationCounters(address)) {
      sum += this.generations.get(counterKey(counter.tenantId, counter.path, counter.model)) ?? 0;
    }
    return sum;
  }

  private unindex(entry: CacheEntry): void {
    if (entry.scopeHash === null) return;
    const key = partitionKey({ ...entry, scopeHash: entry.scopeHash });
    const keys = this.partitions.get(key);
    keys?.delete(entry.keyHash);
    if (keys?.size === 0) this.partitions.delete(key);
  }
}

function counterKey(tenantId: string, path: string, model: string): string {
  return `${tenantId}\u0000${path}\u0000${model}`;
}

function partitionKey(partition: SemanticPartition): string {
  return `${partition.tenantId}\u0000${partition.namespace}\u0000${partition.model}\u0000${partition.scopeHash}`;
}
