import { Kysely, Migrator, sql } from 'kysely';
import type { Dialect } from 'kysely';
import type { Database } from '../request-log-store.js';
import type { RequestLogValues } from '../request-log-values.js';
import type { DatabaseSchema, SqlDialectName } from './database-schema.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, createMigrationProvider } from './migrations.js';
import { SqlAlertStateStore } from './sql-alert-state-store.js';
import { SqlAdminSessionStore } from './sql-admin-session-store.js';
import { SqlJobStore } from './sql-job-store.js';
import { SqlCacheStore } from './sql-cache-store.js';
import { SqlKeyStore } from './sql-key-store.js';
import { SqlLeaseStore } from './sql-lease-store.js';
import { SqlPromptStore } from './sql-prompt-store.js';
import { SqlRequestLogStore } from './sql-request-log-store.js';
import { SqlWebhookOutboxStore } from './sql-webhook-outbox-store.js';
import { SqlResponseStore } from './sql-response-store.js';
import { SqlExperimentStore } from './sql-experiment-store.js';
import { SqlServiceStore } from './sql-service-store.js';
import { SqlRollupStore } from './sql-rollup-store.js';

/** Wraps a Kysely dialect (made by a backend folder, which owns the driver) into a Database. */
export function openSqlDatabase(
  dialectName: SqlDialectName,
  dialect: Dialect,
  options: { insertRows?: (rows: readonly RequestLogValues[]) => Promise<void>; onClose?: () => Promise<void> } = {},
): Database {
  const database = new Kysely<DatabaseSchema>({ dialect });
  return {
    kind: dialectName,
    requestLog: new SqlRequestLogStore(database, dialectName, options.insertRows),
    keys: new SqlKeyStore(database),
    webhookOutbox: new SqlWebhookOutboxStore(database, dialectName),
    jobs: new SqlJobStore(database, dialectName),
    leases: new SqlLeaseStore(database),
    responses: new SqlResponseStore(database),
    experiments: new SqlExperimentStore(database),
    prompts: new SqlPromptStore(database, dialectName),
    services: new SqlServiceStore(database),
    cache: new SqlCacheStore(database, dialectName),
    alertStates: new SqlAlertStateStore(database),
    adminSessions: new SqlAdminSessionStore(database),
    rollups: new SqlRollupStore(database),
    async migrate() {
      const migrator = new Migrator({
        db: database,
        provider: createMigrationProvider(dialectName),
        migrationTableName: MIGRATION_TABLE,
        migrationLockTableName: MIGRATION_LOCK_TABLE,
        // Migration numbers are handed out per issue before the work lands, so a database already
        // at 0007 may meet 0003 later: apply it then instead of refusing to start.
        allowUnorderedMigrations: true,
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
