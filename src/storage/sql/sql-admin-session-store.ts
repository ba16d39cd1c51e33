import type { Kysely } from 'kysely';
import { isSessionLive } from '../admin-session-store.js';
import type { AdminSessionRecord, AdminSessionStore } from '../admin-session-store.js';
import type { AdminSessionTable, DatabaseSchema } from './database-schema.js';

/** Dashboard sessions in SQLite or Postgres, for fleets without Redis. */
export class SqlAdminSessionStore implements AdminSessionStore {
  private readonly database: Kysely<DatabaseSchema>;

  constructor(database: Kysely<DatabaseSchema>) {
    this.database = database;
  }

  async create(record: AdminSessionRecord): Promise<void> {
    await this.database.insertInto('admin_sessions').values({
      id_hash: record.idHash, key_id: record.keyId, role: record.role, tenant_id: record.tenantId,
      created_at: record.createdAt, last_seen_at: record.lastSeenAt, expires_at: record.expiresAt,
    }).execute();
  }

  async use(idHash: string, now: number, idleMs: number): Promise<AdminSessionRecord | null> {
    const row = await this.database.selectFrom('admin_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    if (row === undefined) return null;
    const record = toRecord(row);
    if (!isSessionLive(record, now, idleMs)) {
      await this.delete(idHash);
      return null;
    }
    await this.database.updateTable('admin_sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
    return { ...record, lastSeenAt: now };
  }

  async delete(idHash: string): Promise<void> {
    await this.database.deleteFrom('admin_sessions').where('id_hash', '=', idHash).execute();
  }

  async sweep(now: number, idleMs: number): Promise<void> {
    await this.database.deleteFrom('admin_sessions')
      .where((row) => row.or([row('expires_at', '<=', now), row('last_seen_at', '<=', now - idleMs)]))
      .execute();
  }
}

function toRecord(row: AdminSessionTable): AdminSessionRecord {
  return {
    idHash: row.id_hash,
    keyId: row.key_id,
    role: row.role === 'admin' ? 'admin' : 'tenant_admin',
    tenantId: row.tenant_id,
    // Postgres returns bigint columns as strings.
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
  };
}
