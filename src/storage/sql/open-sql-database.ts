import { Kysely, Migrator, sql } from 'kysely';
import type { Dialect } from 'kysely';
import type { Database, RequestLogRow } from '../request-log-store.js';
import type { DatabaseSchema, SqlDialectName } from './database-schema.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, createMigrationProvider } from './migrations.js';
import { SqlJobStore } from './sql-job-store.js';
import { SqlCacheStore } from './sql-cache-store.js';
import { SqlKeyStore } from './sql-key-store.js';
import { SqlRequestLogStore } from './sql-request-log-store.js';
import { SqlWebhookOutboxStore } from './sql-webhook-outbox-store.js';

/** Wraps a Kysely dialect (made by a backend folder, which owns the driver) into a Database. */
export function openSqlDatabase(
  dialectName: SqlDialectName,
  dialect: Dialect,
  options: { directInsert?: (rows: readonly RequestLogRow[]) => void; onClose?: () => Promise<void> } = {},
): Database {
  const database = new Kysely<DatabaseSchema>({ dialect });
  return {
    kind: dialectName,
    requestLog: new SqlRequestLogStore(database, dialectName, options.directInsert),
    keys: new SqlKeyStore(database),
    webhookOutbox: new SqlWebhookOutboxStore(database, dialectName),
    jobs: new SqlJobStore(database, dialectName),
    cache: new SqlCacheStore(database, dialectName),
    async migrate() {
      const migrator = new Migrator({
        db: database,
        provider: createMigrationProvider(dialectName),
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: MIGRATION_LOCK_TABLE,
      });
      const { error, results } = await migrator.migrateToLatest();
      if (error !== undefined) throw error instanceof Error ? error : new Error(String(error));
      return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
    },
    async ping() {
      await sql`SELECT 1`.execute(database);
    },
    async close() {
      await database.destroy();
      await options.onClose?.();
    },
  };
}
