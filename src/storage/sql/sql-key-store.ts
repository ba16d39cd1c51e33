import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { KeyListQuery, KeyStore, StoredLimits, VirtualKeyPatch, VirtualKeyRecord } from '../key-store.js';
import type { DatabaseSchema, VirtualKeyTable } from './database-schema.js';

const limitsSchema = z.object({
  rpm: z.number().optional(),
  tpm: z.number().optional(),
  maxConcurrent: z.number().optional(),
  requestsPerDay: z.number().optional(),
  requestsPerMonth: z.number().optional(),
  tokensPerDay: z.number().optional(),
  tokensPerMonth: z.number().optional(),
  budgetUsd: z.number().optional(),
  budgetPeriod: z.enum(['day', 'month', 'total']).optional(),
  maxInputTokens: z.number().optional(),
  maxInputCharacters: z.number().optional(),
});
const stringListSchema = z.array(z.string()).nullable();
const metadataSchema = z.record(z.string(), z.string());

/** Virtual keys in SQLite or Postgres (the same Kysely code and migrations for both). */
export class SqlKeyStore implements KeyStore {
  private readonly database: Kysely<DatabaseSchema>;

  constructor(database: Kysely<DatabaseSchema>) {
    this.database = database;
  }

  async insert(record: VirtualKeyRecord): Promise<void> {
    await this.database.insertInto('virtual_keys').values(toRow(record)).execute();
  }

  async get(id: string): Promise<VirtualKeyRecord | null> {
    const row = await this.database.selectFrom('virtual_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async findByHash(hash: string): Promise<VirtualKeyRecord | null> {
    const row = await this.database.selectFrom('virtual_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async list(query: KeyListQuery): Promise<{ records: VirtualKeyRecord[]; nextCursor: string | null }> {
    let select = this.database.selectFrom('virtual_keys').selectAll().orderBy('id').limit(query.limit + 1);
    if (query.tenantId !== undefined) select = select.where('tenant_id', '=', query.tenantId);
    if (query.cursor !== undefined) select = select.where('id', '>', query.cursor);
    const rows = await select.execute();
    const records = rows.slice(0, query.limit).map(fromRow);
    const last = records[records.length - 1];
    return { records, nextCursor: rows.length > query.limit && last !== undefined ? last.id : null };
  }

  async update(id: string, patch: VirtualKeyPatch & { updatedAt: number; revokedAt?: number | null }): Promise<VirtualKeyRecord | null> {
    const current = await this.get(id);
    if (current === null) return null;
    const updated: VirtualKeyRecord = { ...current, ...patch };
    const { id: _id, hash: _hash, created_at: _created, ...changes } = toRow(updated);
    await this.database.updateTable('virtual_keys').set(changes).where('id', '=', id).execute();
    return updated;
  }

  async touch(id: string, at: number): Promise<void> {
    await this.database.updateTable('virtual_keys').set({ last_used_at: at }).where('id', '=', id).execute();
  }
}

function toRow(record: VirtualKeyRecord): VirtualKeyTable {
  return {
    id: record.id,
    hash: record.hash,
    last_four: record.lastFour,
    name: record.name,
    tenant_id: record.tenantId,
    user_id: record.userId,
    role: record.role,
    tier: record.tier,
    allowed_models: record.allowedModels === null ? null : JSON.stringify(record.allowedModels),
    allowed_services: record.allowedServices === null ? null : JSON.stringify(record.allowedServices),
    limits: JSON.stringify(record.limits),
    metadata: JSON.stringify(record.metadata),
    enabled: record.enabled ? 1 : 0,
    expires_at: record.expiresAt,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    last_used_at: record.lastUsedAt,
    revoked_at: record.revokedAt,
  };
}

function fromRow(row: Selectable<VirtualKeyTable>): VirtualKeyRecord {
  const limits: StoredLimits = limitsSchema.parse(JSON.parse(row.limits));
  return {
    id: row.id,
    hash: row.hash,
    lastFour: row.last_four,
    name: row.name,
    tenantId: row.tenant_id,
    userId: row.user_id,
    role: row.role === 'tenant_admin' ? 'tenant_admin' : 'client',
    tier: row.tier,
    allowedModels: stringListSchema.parse(row.allowed_models === null ? null : JSON.parse(row.allowed_models)),
    allowedServices: stringListSchema.parse(row.allowed_services === null ? null : JSON.parse(row.allowed_services)),
    limits,
    metadata: metadataSchema.parse(JSON.parse(row.metadata)),
    enabled: Number(row.enabled) === 1,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
