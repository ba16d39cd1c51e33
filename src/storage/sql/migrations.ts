import { sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { SqlDialectName } from './database-schema.js';

/** Text that full-text search covers; long bodies are cut so a tsvector never overflows. */
export const SEARCH_TEXT_LIMIT = 100_000;

/**
 * One set of migrations for both backends. Where SQLite and Postgres differ (identity columns,
 * full-text search) the migration asks which one it runs on.
 */
export function createMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001_request_log': {
      async up(database: Kysely<unknown>): Promise<void> {
        await database.schema.createTable('request_logs')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (column) => column.primaryKey())
          .addColumn('row_key', 'text', (column) => column.notNull().unique())
          .addColumn('request_id', 'text', (column) => column.notNull())
          .addColumn('started_at', 'bigint', (column) => column.notNull())
          .addColumn('ended_at', 'bigint', (column) => column.notNull())
          .addColumn('duration_ms', 'integer', (column) => column.notNull())
          .addColumn('ttft_ms', 'integer')
          .addColumn('overhead_ms', 'integer', (column) => column.notNull())
          .addColumn('endpoint', 'text', (column) => column.notNull())
          .addColumn('key_id', 'text')
          .addColumn('tenant_id', 'text')
          .addColumn('end_user', 'text')
          .addColumn('requested_model', 'text')
          .addColumn('provider', 'text')
          .addColumn('provider_model', 'text')
          .addColumn('attempt_count', 'integer', (column) => column.notNull())
          .addColumn('cache_status', 'text')
          .addColumn('stream', 'smallint', (column) => column.notNull())
          .addColumn('status_code', 'integer', (column) => column.notNull())
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addColumn('prompt_tokens', 'integer', (column) => column.notNull())
          .addColumn('completion_tokens', 'integer', (column) => column.notNull())
          .addColumn('total_tokens', 'integer', (column) => column.notNull())
          .addColumn('cached_tokens', 'integer', (column) => column.notNull())
          .addColumn('cache_write_tokens', 'integer', (column) => column.notNull())
          .addColumn('reasoning_tokens', 'integer', (column) => column.notNull())
          .addColumn('usage_estimated', 'smallint', (column) => column.notNull())
          .addColumn('cost_usd', 'double precision', (column) => column.notNull())
          .addColumn('service_name', 'text')
          .addColumn('prompt_version', 'text')
          .addColumn('experiment_variant', 'text')
          .addColumn('metadata', 'text')
          .addColumn('request_body', 'text')
          .addColumn('response_body', 'text')
          .execute();
        // Time-range queries, alone and by key, model, tenant and status. Every index costs each
        // insert, so there are none for provider or user (those filter a time-range scan), and
        // the key, tenant and status indexes are partial: rows without a key or tenant, and
        // successes (found by a time-range scan), cost them nothing.
        await database.schema.createIndex('request_logs_started_at').on('request_logs').column('started_at').execute();
        await database.schema.createIndex('request_logs_request_id').on('request_logs').column('request_id').execute();
        await database.schema.createIndex('request_logs_model_time').on('request_logs').columns(['requested_model', 'started_at']).execute();
        await database.schema.createIndex('request_logs_key_time').on('request_logs').columns(['key_id', 'started_at'])
          .where(sql.ref('key_id'), 'is not', null).execute();
        await database.schema.createIndex('request_logs_tenant_time').on('request_logs').columns(['tenant_id', 'started_at'])
          .where(sql.ref('tenant_id'), 'is not', null).execute();
        await database.schema.createIndex('request_logs_error_time').on('request_logs').columns(['status_code', 'started_at'])
          .where(sql.ref('status_code'), '>=', 400).execute();

        await database.schema.createTable('request_attempts')
          .addColumn('row_key', 'text', (column) => column.notNull())
          .addColumn('attempt_index', 'integer', (column) => column.notNull())
          .addColumn('request_id', 'text', (column) => column.notNull())
          .addColumn('provider', 'text', (column) => column.notNull())
          .addColumn('model', 'text', (column) => column.notNull())
          .addColumn('started_at', 'bigint', (column) => column.notNull())
          .addColumn('duration_ms', 'integer', (column) => column.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addPrimaryKeyConstraint('request_attempts_pk', ['row_key', 'attempt_index'])
          .execute();

        if (dialect === 'postgres') {
          await sql`ALTER TABLE request_logs ADD COLUMN search_document tsvector GENERATED ALWAYS AS (to_tsvector('simple',
            left(coalesce(error_code, '') || ' ' || coalesce(error_message, '') || ' ' || coalesce(metadata, '') || ' ' ||
            coalesce(request_body, '') || ' ' || coalesce(response_body, ''), ${sql.lit(SEARCH_TEXT_LIMIT)}))) STORED`.execute(database);
          await sql`CREATE INDEX request_logs_search ON request_logs USING gin (search_document)`.execute(database);
        } else {
          // A contentless FTS5 index keyed by the row's integer id. The writer adds a row's text
          // when it has any (see sqlite/open-sqlite-database.ts: a trigger, even one whose WHEN
          // is false, cost a third of each insert); a trigger removes it with the row.
          await sql`CREATE VIRTUAL TABLE request_logs_fts USING fts5(document, content='', contentless_delete=1)`.execute(database);
          await sql`CREATE TRIGGER request_logs_fts_delete AFTER DELETE ON request_logs BEGIN
            DELETE FROM request_logs_fts WHERE rowid = old.id;
          END`.execute(database);
        }
      },
      async down(database: Kysely<unknown>): Promise<void> {
        if (dialect === 'sqlite') await sql`DROP TABLE IF EXISTS request_logs_fts`.execute(database);
        await database.schema.dropTable('request_attempts').ifExists().execute();
        await database.schema.dropTable('request_logs').ifExists().execute();
      },
    },
    '0002_virtual_keys': {
      async up(database: Kysely<unknown>): Promise<void> {
        await database.schema.createTable('virtual_keys')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('hash', 'text', (column) => column.notNull().unique())
          .addColumn('last_four', 'text', (column) => column.notNull())
          .addColumn('name', 'text', (column) => column.notNull())
          .addColumn('tenant_id', 'text')
          .addColumn('user_id', 'text')
          .addColumn('role', 'text', (column) => column.notNull())
          .addColumn('tier', 'text')
          .addColumn('allowed_models', 'text')
          .addColumn('allowed_services', 'text')
          .addColumn('limits', 'text', (column) => column.notNull())
          .addColumn('metadata', 'text', (column) => column.notNull())
          .addColumn('enabled', 'smallint', (column) => column.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .addColumn('last_used_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .execute();
        // A tenant admin lists its own tenant's keys, by id.
        await database.schema.createIndex('virtual_keys_tenant_id').on('virtual_keys').columns(['tenant_id', 'id']).execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('virtual_keys').ifExists().execute();
      },
    },
    '0004_jobs': {
      async up(database: Kysely<unknown>): Promise<void> {
        await database.schema.createTable('jobs')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('owner_scope', 'text')
          .addColumn('tenant_id', 'text')
          .addColumn('key_id', 'text')
          .addColumn('request_id', 'text', (column) => column.notNull())
          .addColumn('public_model', 'text', (column) => column.notNull())
          .addColumn('provider', 'text', (column) => column.notNull())
          .addColumn('target_model', 'text', (column) => column.notNull())
          .addColumn('provider_ref', 'text')
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('progress', 'double precision')
          .addColumn('request_json', 'text', (column) => column.notNull())
          .addColumn('result_json', 'text')
          .addColumn('error_code', 'text')
          .addColumn('error_message', 'text')
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .addColumn('completed_at', 'bigint')
          .addColumn('expires_at', 'bigint')
          .addColumn('next_poll_at', 'bigint')
          .addColumn('poll_attempts', 'integer', (column) => column.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'bigint')
          .addColumn('reserved_usd', 'double precision', (column) => column.notNull())
          .addColumn('cost_usd', 'double precision')
          .addColumn('webhook_url', 'text')
          .addColumn('webhook_secret_ref', 'text')
          .addColumn('metadata', 'text', (column) => column.notNull())
          .execute();
        // The poller looks only at unfinished jobs by due time; finished ones cost this index nothing.
        await database.schema.createIndex('jobs_due').on('jobs').column('next_poll_at')
          .where(sql.ref('status'), 'in', [sql.lit('queued'), sql.lit('in_progress')]).execute();
        await database.schema.createIndex('jobs_owner_created').on('jobs').columns(['owner_scope', 'created_at']).execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('jobs').ifExists().execute();
      },
    },
    '0005_webhook_outbox': {
      async up(database: Kysely<unknown>): Promise<void> {
        await database.schema.createTable('webhook_outbox')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('dedupe_key', 'text', (column) => column.notNull().unique())
          .addColumn('url', 'text', (column) => column.notNull())
          .addColumn('secret_ref', 'text', (column) => column.notNull())
          .addColumn('event_type', 'text', (column) => column.notNull())
          .addColumn('payload', 'text', (column) => column.notNull())
          .addColumn('tenant_id', 'text')
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('attempts', 'integer', (column) => column.notNull())
          .addColumn('next_attempt_at', 'bigint', (column) => column.notNull())
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'bigint')
          .addColumn('last_status', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('delivered_at', 'bigint')
          .execute();
        // Claimers look only at pending messages by due time; delivered ones cost this index nothing.
        await database.schema.createIndex('webhook_outbox_due').on('webhook_outbox').column('next_attempt_at')
          .where(sql.ref('status'), '=', sql.lit('pending')).execute();
        await database.schema.createIndex('webhook_outbox_created').on('webhook_outbox').column('created_at').execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('webhook_outbox').ifExists().execute();
      },
    },
    '0007_scale_out': {
      async up(database: Kysely<unknown>): Promise<void> {
        // Singleton leases for fleets without Redis (retention, alerts, rollups, the job poller).
        await database.schema.createTable('leases')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('owner', 'text', (column) => column.notNull())
          .addColumn('expires_at', 'bigint', (column) => column.notNull())
          .execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('leases').ifExists().execute();
      },
    },
    '0006_responses': {
      async up(database: Kysely<unknown>): Promise<void> {
        await database.schema.createTable('responses')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('owner', 'text', (column) => column.notNull())
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('expires_at', 'bigint')
          .addColumn('response', 'text', (column) => column.notNull())
          .addColumn('input_items', 'text', (column) => column.notNull())
          .execute();
        // The retention sweep deletes by expiry; lookups go by primary key.
        await database.schema.createIndex('responses_expires_at').on('responses').column('expires_at')
          .where(sql.ref('expires_at'), 'is not', null).execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('responses').ifExists().execute();
      },
    },
    '0013_admin_sessions': {
      async up(database: Kysely<unknown>): Promise<void> {
        // Dashboard sessions for fleets without Redis: looked up by the id's hash (the primary key).
        await database.schema.createTable('admin_sessions')
          .addColumn('id_hash', 'text', (column) => column.primaryKey())
          .addColumn('key_id', 'text')
          .addColumn('role', 'text', (column) => column.notNull())
          .addColumn('tenant_id', 'text')
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('last_seen_at', 'bigint', (column) => column.notNull())
          .addColumn('expires_at', 'bigint', (column) => column.notNull())
          .execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('admin_sessions').ifExists().execute();
      },
    },
  };
}

export function createMigrationProvider(dialect: SqlDialectName): MigrationProvider {
  return { getMigrations: async () => createMigrations(dialect) };
}

export const MIGRATION_TABLE = 'sluice_migrations';
export const MIGRATION_LOCK_TABLE = 'sluice_migrations_lock';
