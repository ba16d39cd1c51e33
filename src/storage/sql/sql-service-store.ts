import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { ServiceStore, StoredService } from '../service-store.js';
import type { DatabaseSchema, ServiceTable } from './database-schema.js';

const definitionSchema = z.record(z.string(), z.unknown());

/**
 * Services in SQLite or Postgres. The global namespace is stored as the empty tenant: a primary
 * key over (tenant_id, name) then needs no NULL handling, which the two backends treat differently.
 */
export class SqlServiceStore implements ServiceStore {
  private readonly database: Kysely<DatabaseSchema>;

  constructor(database: Kysely<DatabaseSchema>) {
    this.database = database;
  }

  async list(tenantIds: ReadonlyArray<string | null> | 'all'): Promise<StoredService[]> {
    if (tenantIds.length === 0) return [];
    let query = this.database.selectFrom('services').selectAll();
    if (tenantIds !== 'all') query = query.where('tenant_id', 'in', tenantIds.map(toTenantColumn));
    const rows = await query.orderBy('tenant_id').orderBy('name').execute();
    return rows.map(fromRow);
  }

  async get(tenantId: string | null, name: string): Promise<StoredService | null> {
    const row = await this.database.selectFrom('services').selectAll()
      .where('tenant_id', '=', toTenantColumn(tenantId)).where('name', '=', name).executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async insert(service: StoredService): Promise<void> {
    await this.database.insertInto('services').values({
      tenant_id: toTenantColumn(service.tenantId),
      name: service.name,
      definition: JSON.stringify(service.definition),
      created_at: service.createdAt,
      updated_at: service.updatedAt,
    }).execute();
  }

  async update(tenantId: string | null, name: string, definition: Record<string, unknown>, updatedAt: number): Promise<StoredService | null> {
    const result = await this.database.updateTable('services')
      .set({ definition: JSON.stringify(definition), updated_at: updatedAt })
      .where('tenant_id', '=', toTenantColumn(tenantId)).where('name', '=', name).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return null;
    return this.get(tenantId, name);
  }

  async delete(tenantId: string | null, name: string): Promise<boolean> {
    const result = await this.database.deleteFrom('services')
      .where('tenant_id', '=', toTenantColumn(tenantId)).where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toTenantColumn(tenantId: string | null): string {
  return tenantId ?? '';
}

function fromRow(row: Selectable<ServiceTable>): StoredService {
  return {
    tenantId: row.tenant_id === '' ? null : row.tenant_id,
    name: row.name,
    definition: definitionSchema.parse(JSON.parse(row.definition)),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
