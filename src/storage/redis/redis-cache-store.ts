import type { Redis } from 'ioredis';
import { z } from 'zod';
import type {
  CacheAddress, CacheEntry, CacheEntryMeta, CacheEntryPage, CacheListFilter, CacheLookup, CacheStore, CacheStoreStats,
  InvalidationTarget, SemanticPartition,
} from '../cache-store.js';
import { ALL_TENANTS, generationCounters, namespaceMatches, normaliseNamespace, toEntryMeta } from '../cache-store.js';

export interface RedisCacheStoreOptions {
  url: string;
  /** Every command gives up after this long; the cache then treats the request as a miss. */
  commandTimeoutMs: number;
  /** Key prefix, so several gateways can share one Redis. */
  prefix?: string;
}

const storedSchema = z.object({
  keyHash: z.string(), tenantId: z.string(), namespace: z.string(), model: z.string(), kind: z.enum(['chat', 'embedding']),
  generation: z.number(), scopeHash: z.string().nullable(), embedding: z.array(z.number()).nullable(), value: z.string(),
  originRequestId: z.string(), costUsd: z.number(), createdAt: z.number(), expiresAt: z.number(), sizeBytes: z.number(),
});

/** How many index members one listing or purge step reads at a time. */
const SCAN_BATCH = 200;

/**
 * The response cache in Redis, shared by every instance:
 * - `e:<hash>`: a hash with the entry (`entry`, JSON) and its hit counter (`hits`, `last_hit`), expiring with the entry;
 * - `g:<tenant, path, model>`: generation counters (INCR); every lookup reads its address's
 *   counters in the same round trip as the entry, so an invalidation on one instance hides
 *   entries on all of them at once;
 * - `i:<tenant>` and `i`: key hashes by tenant and in all, sorted sets in lexical order, for
 *   listing, stats and purging (members of expired entries are dropped when met);
 * - `s:<scope hash>`: the key hashes of one semantic partition.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis';
  private readonly redis: Redis;
  private readonly prefix: string;

  private constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  /** Loads ioredis only when a configuration uses Redis for the cache. */
  static async open(options: RedisCacheStoreOptions): Promise<RedisCacheStore> {
    const { Redis: RedisClient } = await import('ioredis');
    const redis = new RedisClient(options.url, {
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(1000, options.commandTimeoutMs),
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    // Errors surface on commands (and become cache misses); connection errors are expected while Redis is down.
    redis.on('error', () => {});
    return new RedisCacheStore(redis, options.prefix ?? 'sluice:cache:');
  }

  async lookup(address: CacheAddress, now: number): Promise<CacheLookup> {
    const counters = this.counterKeys(address);
    const replies = await this.redis.pipeline().mget(...counters).hgetall(this.entryKey(address.keyHash)).exec();
    const generation = sumCounters(replyValue(replies, 0));
    const entry = this.toEntry(replyValue(replies, 1));
    if (entry === null || entry.tenantId !== address.tenantId || entry.expiresAt <= now || entry.generation !== generation) {
      return { entry: null, generation };
    }
    return { entry, generation };
  }

  async semanticCandidates(partition: SemanticPartition, now: number, limit: number): Promise<CacheEntry[]> {
    const [keys, counters] = await Promise.all([
      this.redis.smembers(this.partitionKey(partition.scopeHash)),
      this.redis.mget(...this.counterKeys(partition)),
    ]);
    if (keys.length === 0) return [];
    const generation = sumCounters(counters);
    const entries = await this.readEntries(keys);
    return entries
      .filter((entry): entry is CacheEntry => entry !== null && entry.tenantId === partition.tenantId &&
        entry.namespace === partition.namespace && entry.model === partition.model && entry.scopeHash === partition.scopeHash &&
        entry.generation === generation && entry.expiresAt > now)
      .sort((left, right) => right.createdAt - left.createdAt || (left.keyHash < right.keyHash ? -1 : 1))
      .slice(0, limit);
  }

  async put(entry: CacheEntry, now: number): Promise<void> {
    const ttlMs = entry.expiresAt - now;
    if (ttlMs <= 0) return;
    const { hitCount, lastHitAt, ...stored } = entry;
    const key = this.entryKey(entry.keyHash);
    const pipeline = this.redis.multi()
      .del(key)
      .hset(key, 'entry', JSON.stringify(stored), 'hits', hitCount, 'last_hit', lastHitAt ?? '')
      .pexpire(key, ttlMs)
      .zadd(this.indexKey(entry.tenantId), 0, entry.keyHash)
      .zadd(this.indexKey(null), 0, entry.keyHash);
    if (entry.scopeHash !== null) {
      const partition = this.partitionKey(entry.scopeHash);
      // The partition set lives as long as its longest-lived entry.
      pipeline.sadd(partition, entry.keyHash).pexpire(partition, ttlMs, 'GT').pexpire(partition, ttlMs, 'NX');
    }
    await pipeline.exec();
  }

  async touch(keyHash: string, now: number): Promise<void> {
    const key = this.entryKey(keyHash);
    // Only an entry that still exists is counted (hset on a missing key would create a stray hash).
    await this.redis.eval(
      "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[1], 'hits', 1); redis.call('HSET', KEYS[1], 'last_hit', ARGV[1]) end return 0",
      1, key, now,
    );
  }

  async delete(keyHash: string, tenantId: string | undefined): Promise<boolean> {
    const [entry] = await this.readEntries([keyHash]);
    if (entry === null || entry === undefined || (tenantId !== undefined && entry.tenantId !== tenantId)) return false;
    await this.removeEntries([entry]);
    return true;
  }

  async invalidate(target: InvalidationTarget): Promise<number> {
    return this.redis.incr(this.counterKey(target.tenantId, normaliseNamespace(target.namespacePrefix), target.model ?? '*'));
  }

  async purge(target: InvalidationTarget, limit: number): Promise<number> {
    const prefix = normaliseNamespace(target.namespacePrefix);
    let removed = 0;
    for await (const batch of this.scanIndex(target.tenantId === ALL_TENANTS ? null : target.tenantId, undefined)) {
      const doomed = batch.filter((entry) => namespaceMatches(entry.namespace, prefix) && (target.model === null || entry.model === target.model))
        .slice(0, limit - removed);
      await this.removeEntries(doomed);
      removed += doomed.length;
      if (removed >= limit) break;
    }
    return removed;
  }

  async purgeExpired(): Promise<number> {
    // Redis expires entries by itself; stale index members are dropped when listings meet them.
    return 0;
  }

  async list(filter: CacheListFilter, now: number): Promise<CacheEntryPage> {
    const prefix = normaliseNamespace(filter.namespacePrefix ?? '');
    const found: CacheEntryMeta[] = [];
    for await (const batch of this.scanIndex(filter.tenantId ?? null, filter.cursor)) {
      for (const entry of batch) {
        if (entry.expiresAt <= now || !namespaceMatches(entry.namespace, prefix)) continue;
        if (filter.model !== undefined && entry.model !== filter.model) continue;
        found.push(toEntryMeta(entry));
      }
      if (found.length > filter.limit) break;
    }
    const entries = found.slice(0, filter.limit);
    const last = entries[entries.length - 1];
    return { entries, nextCursor: found.length > filter.limit && last !== undefined ? last.keyHash : null };
  }

  async stats(tenantId: string | undefined, now: number): Promise<CacheStoreStats> {
    let entries = 0;
    let bytes = 0;
    for await (const batch of this.scanIndex(tenantId ?? null, undefined)) {
      for (const entry of batch) {
        if (entry.expiresAt <= now) continue;
        entries += 1;
        bytes += entry.sizeBytes;
      }
    }
    return { entries, bytes };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** Live entries from an index, in key-hash order after `cursor`, a batch at a time. */
  private async *scanIndex(tenantId: string | null, cursor: string | undefined): AsyncGenerator<CacheEntry[]> {
    const index = this.indexKey(tenantId);
    let from = cursor === undefined ? '-' : `(${cursor}`;
    for (;;) {
      const keys = await this.redis.zrangebylex(index, from, '+', 'LIMIT', 0, SCAN_BATCH);
      if (keys.length === 0) return;
      const entries = await this.readEntries(keys);
      const gone = keys.filter((_key, position) => entries[position] === null);
      if (gone.length > 0) await this.redis.zrem(index, ...gone);
      yield entries.filter((entry): entry is CacheEntry => entry !== null);
      from = `(${keys[keys.length - 1] ?? ''}`;
      if (keys.length < SCAN_BATCH) return;
    }
  }

  private async readEntries(keyHashes: readonly string[]): Promise<Array<CacheEntry | null>> {
    const pipeline = this.redis.pipeline();
    for (const keyHash of keyHashes) pipeline.hgetall(this.entryKey(keyHash));
    const replies = await pipeline.exec();
    return keyHashes.map((_keyHash, position) => this.toEntry(replyValue(replies, position)));
  }

  private async removeEntries(entries: readonly CacheEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.redis.multi();
    for (const entry of entries) {
      pipeline.unlink(this.entryKey(entry.keyHash)).zrem(this.indexKey(entry.tenantId), entry.keyHash).zrem(this.indexKey(null), entry.keyHash);
      if (entry.scopeHash !== null) pipeline.srem(this.partitionKey(entry.scopeHash), entry.keyHash);
    }
    await pipeline.exec();
  }

  private toEntry(reply: unknown): CacheEntry | null {
    const fields = z.record(z.string(), z.string()).safeParse(reply);
    if (!fields.success || fields.data.entry === undefined) return null;
    const stored = storedSchema.parse(JSON.parse(fields.data.entry));
    const lastHit = fields.data.last_hit ?? '';
    return { ...stored, hitCount: Number(fields.data.hits ?? 0), lastHitAt: lastHit === '' ? null : Number(lastHit) };
  }

  private counterKeys(address: Pick<CacheAddress, 'tenantId' | 'namespace' | 'model'>): string[] {
    return generationCounters(address).map((counter) => this.counterKey(counter.tenantId, counter.path, counter.model));
  }

  private counterKey(tenantId: string, path: string, model: string): string {
    return `${this.prefix}g:${JSON.stringify([tenantId, path, model])}`;
  }

  private entryKey(keyHash: string): string {
    return `${this.prefix}e:${keyHash}`;
  }

  private indexKey(tenantId: string | null): string {
    return tenantId === null ? `${this.prefix}i` : `${this.prefix}i:${JSON.stringify(tenantId)}`;
  }

  private partitionKey(scopeHash: string): string {
    return `${this.prefix}s:${scopeHash}`;
  }
}

/** The value of the n-th reply of a pipeline; a failed command throws its error. */
function replyValue(replies: Array<[Error | null, unknown]> | null, position: number): unknown {
  const reply = replies?.[position];
  if (reply === undefined) throw new Error('redis pipeline returned no reply');
  if (reply[0] !== null) throw reply[0];
  return reply[1];
}

function sumCounters(values: unknown): number {
  if (!Array.isArray(values)) return 0;
  let sum = 0;
  for (const value of values) sum += typeof value === 'string' ? Number(value) : 0;
  return sum;
}
