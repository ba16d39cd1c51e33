import { sql } from 'kysely';
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type {
  CacheAddress, CacheEntry, CacheEntryKind, CacheEntryMeta, CacheEntryPage, CacheListFilter, CacheLookup, CacheStore,
  CacheStoreStats, InvalidationTarget, SemanticPartition,
} from '../cache-store.js';
import { ALL_TENANTS, ancestorPaths, normaliseNamespace, toEntryMeta } from '../cache-store.js';
import type { CacheEntryTable, DatabaseSchema } from './database-schema.js';

const embeddingSchema = z.array(z.number()).nullable();

/**
 * The response cache in SQLite or Postgres: entries survive restarts and are shared by every
 * instance on the same database. Expired rows are skipped on read and removed by `purgeExpired`.
 */
export class SqlCacheStore implements CacheStore {
  readonly kind: string;
  private readonly database: Kysely<DatabaseSchema>;

  constructor(database: Kysely<DatabaseSchema>, kind: 'sqlite' | 'postgres') {
    this.database = database;
    this.kind = kind;
  }

  async lookup(address: CacheAddress, now: number): Promise<CacheLookup> {
    const [row, generation] = await Promise.all([
      this.database.selectFrom('cache_entries').selectAll().where('key_hash', '=', address.keyHash)
        .where('tenant_id', '=', address.tenantId).where('expires_at', '>', now).executeTakeFirst(),
      this.generationOf(address),
    ]);
    if (row === undefined || row.generation !== generation) return { entry: null, generation };
    return { entry: fromRow(row), generation };
  }

  async semanticCandidates(partition: SemanticPartition, now: number, limit: number): Promise<CacheEntry[]> {
    const generation = await this.generationOf(partition);
    const rows = await this.database.selectFrom('cache_entries').selectAll()
      .where('scope_hash', '=', partition.scopeHash).where('tenant_id', '=', partition.tenantId)
      .where('namespace', '=', partition.namespace).where('model', '=', partition.model)
      .where('generation', '=', generation).where('expires_at', '>', now)
      .orderBy('created_at', 'desc').orderBy('key_hash').limit(limit).execute();
    return rows.map(fromRow);
  }

  async put(entry: CacheEntry, now: number): Promise<void> {
    if (entry.expiresAt <= now) return;
    const row = toRow(entry);
    const { key_hash: _key, ...changes } = row;
    await this.database.insertInto('cache_entries').values(row)
      .onConflict((conflict) => conflict.column('key_hash').doUpdateSet(changes)).execute();
  }

  async touch(keyHash: string, now: number): Promise<void> {
    await this.database.updateTable('cache_entries')
      .set({ hit_count: sql<number>`hit_count + 1`, last_hit_at: now })
      .where('key_hash', '=', keyHash).execute();
  }

  async delete(keyHash: string, tenantId: string | undefined): Promise<boolean> {
    let query = this.database.deleteFrom('cache_entries').where('key_hash', '=', keyHash);
    if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async invalidate(target: InvalidationTarget): Promise<number> {
    const row = await this.database.insertInto('cache_generations')
      .values({ tenant_id: target.tenantId, path: normaliseNamespace(target.namespacePrefix), model: target.model ?? '*', generation: 1 })
      .onConflict((conflict) => conflict.columns(['tenant_id', 'path', 'model'])
        .doUpdateSet({ generation: sql<number>`cache_generations.generation + 1` }))
      .returning('generation').executeTakeFirstOrThrow();
    return Number(row.generation);
  }

  async purge(target: InvalidationTarget, limit: number): Promise<number> {
    const prefix = normaliseNamespace(target.namespacePrefix);
    let doomed = this.database.selectFrom('cache_entries').select('key_hash')
      .where((builder) => underPrefix(builder, prefix)).limit(limit);
    if (target.tenantId !== ALL_TENANTS) doomed = doomed.where('tenant_id', '=', target.tenantId);
    if (target.model !== null) doomed = doomed.where('model', '=', target.model);
    const result = await this.database.deleteFrom('cache_entries').where('key_hash', 'in', doomed).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async purgeExpired(now: number, limit: number): Promise<number> {
    const doomed = this.database.selectFrom('cache_entries').select('key_hash').where('expires_at', '<=', now).limit(limit);
    const result = await this.database.deleteFrom('cache_entries').where('key_hash', 'in', doomed).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async list(filter: CacheListFilter, now: number): Promise<CacheEntryPage> {
    let query = this.database.selectFrom('cache_entries').selectAll().where('expires_at', '>', now)
      .orderBy('key_hash').limit(filter.limit + 1);
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    const prefix = normaliseNamespace(filter.namespacePrefix ?? '');
    if (prefix !== '') query = query.where((builder) => underPrefix(builder, prefix));
    if (filter.model !== undefined) query = query.where('model', '=', filter.model);
    if (filter.cursor !== undefined) query = query.where('key_hash', '>', filter.cursor);
    const rows = await query.execute();
    const entries: CacheEntryMeta[] = rows.slice(0, filter.limit).map((row) => toEntryMeta(fromRow(row)));
    const last = entries[entries.length - 1];
    return { entries, nextCursor: rows.length > filter.limit && last !== undefined ? last.keyHash : null };
  }

  async stats(tenantId: string | undefined, now: number): Promise<CacheStoreStats> {
    let query = this.database.selectFrom('cache_entries')
      .select((builder) => [builder.fn.countAll<number>().as('entries'), builder.fn.sum<number>('size_bytes').as('bytes')])
      .where('expires_at', '>', now);
    if (tenantId !== undefined) query = query.where('tenant_id', '=', tenantId);
    const row = await query.executeTakeFirstOrThrow();
    return { entries: Number(row.entries), bytes: Number(row.bytes ?? 0) };
  }

  async close(): Promise<void> {
    // The database owns the connection.
  }

  private async generationOf(address: Pick<CacheAddress, 'tenantId' | 'namespace' | 'model'>): Promise<number> {
    const row = await this.database.selectFrom('cache_generations')
      .select((builder) => builder.fn.sum<number>('generation').as('total'))
      .where('tenant_id', 'in', [address.tenantId, ALL_TENANTS]).where('path', 'in', ancestorPaths(address.namespace))
      .where('model', 'in', ['*', address.model]).executeTakeFirst();
    return Number(row?.total ?? 0);
  }
}

/** `namespace` at or below `prefix` (segment boundaries); LIKE wildcards in the prefix are escaped. */
function underPrefix(builder: ExpressionBuilder<DatabaseSchema, 'cache_entries'>, prefix: string) {
  if (prefix === '') return builder.lit(true);
  const pattern = `${prefix.replace(/[\\%_]/g, (character) => `\\${character}`)}/%`;
  return builder.or([
    builder('namespace', '=', prefix),
    sql<boolean>`namespace LIKE ${pattern} ESCAPE '\\'`,
  ]);
}

function toRow(entry: CacheEntry): CacheEntryTable {
  return {
    key_hash: entry.keyHash,
    tenant_id: entry.tenantId,
    namespace: entry.namespace,
    model: entry.model,
    kind: entry.kind,
    generation: entry.generation,
    scope_hash: entry.scopeHash,
    embedding: entry.embedding === null ? null : JSON.stringify(entry.embedding),
    value: entry.value,
    origin_request_id: entry.originRequestId,
    cost_usd: entry.costUsd,
    created_at: entry.createdAt,
    expires_at: entry.expiresAt,
    size_bytes: entry.sizeBytes,
    hit_count: entry.hitCount,
    last_hit_at: entry.lastHitAt,
  };
}

function fromRow(row: Selectable<CacheEntryTable>): CacheEntry {
  return {
    keyHash: row.key_hash,
    tenantId: row.tenant_id,
    namespace: row.namespace,
    model: row.model,
    kind: row.kind === 'embedding' ? 'embedding' : 'chat' satisfies CacheEntryKind,
    generation: Number(row.generation),
    scopeHash: row.scope_hash,
    embedding: row.embedding === null ? null : embeddingSchema.parse(JSON.parse(row.embedding)),
    value: row.value,
    originRequestId: row.origin_request_id,
    costUsd: Number(row.cost_usd),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    sizeBytes: Number(row.size_bytes),
    hitCount: Number(row.hit_count),
    lastHitAt: row.last_hit_at === null ? null : Number(row.last_hit_at),
  };
}
