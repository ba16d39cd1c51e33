import { sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { SqlDialectName } from './database-schema.js';
import { SEARCH_TEXT_LIMIT } from './request-log-columns.js';
import { ROLLUP_DIMENSION_COLUMNS, ROLLUP_INTEGER_MEASURES, ROLLUP_REAL_MEASURES, histogramColumns } from './rollup-columns.js';

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
    '0003_prompts': {
      async up(database: Kysely<unknown>): Promise<void> {
        // tenant_id is '' for global prompts: NULLs never collide in a unique index.
        await database.schema.createTable('prompts')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('tenant_id', 'text', (column) => column.notNull())
          .addColumn('name', 'text', (column) => column.notNull())
          .addColumn('type', 'text', (column) => column.notNull())
          .addColumn('description', 'text', (column) => column.notNull())
          .addColumn('tags', 'text', (column) => column.notNull())
          .addColumn('source', 'text', (column) => column.notNull())
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .execute();
        await database.schema.createIndex('prompts_tenant_name').on('prompts').columns(['tenant_id', 'name']).unique().execute();
        await database.schema.createTable('prompt_versions')
          .addColumn('prompt_id', 'text', (column) => column.notNull())
          .addColumn('version', 'integer', (column) => column.notNull())
          .addColumn('template', 'text', (column) => column.notNull())
          .addColumn('variables', 'text')
          .addColumn('model_config', 'text', (column) => column.notNull())
          .addColumn('output_schema', 'text')
          .addColumn('commit_message', 'text', (column) => column.notNull())
          .addColumn('content_hash', 'text', (column) => column.notNull())
          .addColumn('created_by', 'text', (column) => column.notNull())
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('prompt_versions_pk', ['prompt_id', 'version'])
          .execute();
        await database.schema.createIndex('prompt_versions_hash').on('prompt_versions').columns(['prompt_id', 'content_hash']).execute();
        // Versions are immutable: caches keep them for good and the log's version numbers keep
        // their meaning, so the database itself refuses to change one.
        if (dialect === 'postgres') {
          await sql`CREATE FUNCTION prompt_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'prompt versions are immutable'; END $$`.execute(database);
          await sql`CREATE TRIGGER prompt_versions_no_update BEFORE UPDATE ON prompt_versions
            FOR EACH ROW EXECUTE FUNCTION prompt_versions_immutable()`.execute(database);
        } else {
          await sql`CREATE TRIGGER prompt_versions_no_update BEFORE UPDATE ON prompt_versions BEGIN
            SELECT RAISE(ABORT, 'prompt versions are immutable');
          END`.execute(database);
        }
        await database.schema.createTable('prompt_labels')
          .addColumn('prompt_id', 'text', (column) => column.notNull())
          .addColumn('label', 'text', (column) => column.notNull())
          .addColumn('version', 'integer', (column) => column.notNull())
          .addColumn('updated_by', 'text', (column) => column.notNull())
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('prompt_labels_pk', ['prompt_id', 'label'])
          .execute();
        await database.schema.createTable('prompt_label_events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (column) => column.primaryKey())
          .addColumn('prompt_id', 'text', (column) => column.notNull())
          .addColumn('label', 'text', (column) => column.notNull())
          .addColumn('from_version', 'integer')
          .addColumn('to_version', 'integer', (column) => column.notNull())
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('reason', 'text')
          .addColumn('at', 'bigint', (column) => column.notNull())
          .execute();
        await database.schema.createIndex('prompt_label_events_prompt').on('prompt_label_events').columns(['prompt_id', 'label', 'id']).execute();

        // Each request names the prompt, the version served and the label asked for, so a later
        // label move never rewrites history. Per-version stats read them by this partial index.
        await database.schema.alterTable('request_logs').addColumn('prompt_name', 'text').execute();
        await database.schema.alterTable('request_logs').addColumn('prompt_label', 'text').execute();
        await database.schema.createIndex('request_logs_prompt_time').on('request_logs')
          .columns(['prompt_name', 'prompt_version', 'started_at']).where(sql.ref('prompt_name'), 'is not', null).execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropIndex('request_logs_prompt_time').ifExists().execute();
        await database.schema.alterTable('request_logs').dropColumn('prompt_label').execute();
        await database.schema.alterTable('request_logs').dropColumn('prompt_name').execute();
        await database.schema.dropTable('prompt_label_events').ifExists().execute();
        await database.schema.dropTable('prompt_labels').ifExists().execute();
        await database.schema.dropTable('prompt_versions').ifExists().execute();
        if (dialect === 'postgres') await sql`DROP FUNCTION IF EXISTS prompt_versions_immutable()`.execute(database);
        await database.schema.dropTable('prompts').ifExists().execute();
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
    '0015_alert_states': {
      async up(database: Kysely<unknown>): Promise<void> {
        // The leader of alert evaluation writes each transition; the next leader reads them back.
        await database.schema.createTable('alert_states')
          .addColumn('rule', 'text', (column) => column.notNull())
          .addColumn('scope_key', 'text', (column) => column.notNull())
          .addColumn('state', 'text', (column) => column.notNull())
          .addColumn('value', 'double precision')
          .addColumn('episode_start', 'bigint', (column) => column.notNull())
          .addColumn('since', 'bigint', (column) => column.notNull())
          .addColumn('firing_since', 'bigint')
          .addColumn('notified_at', 'bigint')
          .addColumn('repeats', 'integer', (column) => column.notNull())
          .addPrimaryKeyConstraint('alert_states_pk', ['rule', 'scope_key'])
          .execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('alert_states').ifExists().execute();
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
    '0012_experiments': {
      async up(database: Kysely<unknown>): Promise<void> {
        await database.schema.createTable('experiments')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('name', 'text', (column) => column.notNull().unique())
          .addColumn('target_kind', 'text', (column) => column.notNull())
          .addColumn('target_name', 'text', (column) => column.notNull())
          .addColumn('status', 'text', (column) => column.notNull())
          .addColumn('phase', 'integer', (column) => column.notNull())
          .addColumn('salt', 'text', (column) => column.notNull())
          .addColumn('settings', 'text', (column) => column.notNull())
          .addColumn('variants', 'text', (column) => column.notNull())
          .addColumn('source', 'text', (column) => column.notNull())
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .addColumn('started_at', 'bigint')
          .addColumn('stopped_at', 'bigint')
          .addColumn('winner', 'text')
          .execute();
        // At most one running experiment per target, even when two instances start one at once.
        await database.schema.createIndex('experiments_one_running').on('experiments').columns(['target_kind', 'target_name']).unique()
          .where(sql.ref('status'), '=', sql.lit('running')).execute();
        await database.schema.createTable('experiment_phases')
          .addColumn('experiment_id', 'text', (column) => column.notNull())
          .addColumn('phase', 'integer', (column) => column.notNull())
          .addColumn('variants', 'text', (column) => column.notNull())
          .addColumn('started_at', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('experiment_phases_pk', ['experiment_id', 'phase'])
          .execute();
        await database.schema.createTable('experiment_events')
          .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (column) => column.primaryKey())
          .addColumn('experiment_id', 'text', (column) => column.notNull())
          .addColumn('type', 'text', (column) => column.notNull())
          .addColumn('at', 'bigint', (column) => column.notNull())
          .addColumn('actor', 'text', (column) => column.notNull())
          .addColumn('phase', 'integer', (column) => column.notNull())
          .addColumn('details', 'text', (column) => column.notNull())
          .execute();
        await database.schema.createIndex('experiment_events_experiment').on('experiment_events').columns(['experiment_id', 'id']).execute();
        await database.schema.createTable('request_feedback')
          .addColumn('request_id', 'text', (column) => column.notNull())
          .addColumn('metric', 'text', (column) => column.notNull())
          .addColumn('value', 'double precision', (column) => column.notNull())
          .addColumn('key_id', 'text')
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('request_feedback_pk', ['request_id', 'metric'])
          .execute();
        await database.schema.createIndex('request_feedback_metric_time').on('request_feedback').columns(['metric', 'created_at']).execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('request_feedback').ifExists().execute();
        await database.schema.dropTable('experiment_events').ifExists().execute();
        await database.schema.dropTable('experiment_phases').ifExists().execute();
        await database.schema.dropTable('experiments').ifExists().execute();
      },
    },
    '0008_services': {
      async up(database: Kysely<unknown>): Promise<void> {
        // Admin-defined AI services; the empty tenant is the global namespace (see SqlServiceStore).
        await database.schema.createTable('services')
          .addColumn('tenant_id', 'text', (column) => column.notNull())
          .addColumn('name', 'text', (column) => column.notNull())
          .addColumn('definition', 'text', (column) => column.notNull())
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('updated_at', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('services_pk', ['tenant_id', 'name'])
          .execute();
        // What a service run did to the model's output (service_name already exists).
        await database.schema.alterTable('request_logs').addColumn('json_fixes', 'text').execute();
        await database.schema.alterTable('request_logs').addColumn('reask_count', 'integer').execute();
        await database.schema.alterTable('request_logs').addColumn('output_valid', 'smallint').execute();
        // Why each attempt was made (first, retry, fallback, hedge, reask).
        await database.schema.alterTable('request_attempts').addColumn('kind', 'text').execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.alterTable('request_attempts').dropColumn('kind').execute();
        await database.schema.alterTable('request_logs').dropColumn('output_valid').execute();
        await database.schema.alterTable('request_logs').dropColumn('reask_count').execute();
        await database.schema.alterTable('request_logs').dropColumn('json_fixes').execute();
        await database.schema.dropTable('services').ifExists().execute();
      },
    },
    '0011_cache': {
      async up(database: Kysely<unknown>): Promise<void> {
        await database.schema.createTable('cache_entries')
          .addColumn('key_hash', 'text', (column) => column.primaryKey())
          .addColumn('tenant_id', 'text', (column) => column.notNull())
          .addColumn('namespace', 'text', (column) => column.notNull())
          .addColumn('model', 'text', (column) => column.notNull())
          .addColumn('kind', 'text', (column) => column.notNull())
          .addColumn('generation', 'bigint', (column) => column.notNull())
          .addColumn('scope_hash', 'text')
          .addColumn('embedding', 'text')
          .addColumn('value', 'text', (column) => column.notNull())
          .addColumn('origin_request_id', 'text', (column) => column.notNull())
          .addColumn('cost_usd', 'double precision', (column) => column.notNull())
          .addColumn('created_at', 'bigint', (column) => column.notNull())
          .addColumn('expires_at', 'bigint', (column) => column.notNull())
          .addColumn('size_bytes', 'integer', (column) => column.notNull())
          .addColumn('hit_count', 'integer', (column) => column.notNull())
          .addColumn('last_hit_at', 'bigint')
          .execute();
        // Listing and purging walk a tenant's namespaces; the reaper walks expiry; semantic
        // lookups read one partition (rows without a scope cost that index nothing).
        await database.schema.createIndex('cache_entries_tenant_namespace').on('cache_entries').columns(['tenant_id', 'namespace', 'model']).execute();
        await database.schema.createIndex('cache_entries_expires_at').on('cache_entries').column('expires_at').execute();
        await database.schema.createIndex('cache_entries_scope').on('cache_entries').columns(['scope_hash', 'created_at'])
          .where(sql.ref('scope_hash'), 'is not', null).execute();
        await database.schema.createTable('cache_generations')
          .addColumn('tenant_id', 'text', (column) => column.notNull())
          .addColumn('path', 'text', (column) => column.notNull())
          .addColumn('model', 'text', (column) => column.notNull())
          .addColumn('generation', 'bigint', (column) => column.notNull())
          .addPrimaryKeyConstraint('cache_generations_pk', ['tenant_id', 'path', 'model'])
          .execute();
        // The request log learns what hits saved and whose answer they replayed.
        await database.schema.alterTable('request_logs').addColumn('cost_saved_usd', 'double precision').execute();
        await database.schema.alterTable('request_logs').addColumn('cache_origin_request_id', 'text').execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.alterTable('request_logs').dropColumn('cache_origin_request_id').execute();
        await database.schema.alterTable('request_logs').dropColumn('cost_saved_usd').execute();
        await database.schema.dropTable('cache_generations').ifExists().execute();
        await database.schema.dropTable('cache_entries').ifExists().execute();
      },
    },
    '0016_request_rollups': {
      async up(database: Kysely<unknown>): Promise<void> {
        // Hourly aggregates of request_logs (see rollup-store.ts). No primary key: dimensions are
        // nullable, and a refresh replaces an hour's rows wholesale rather than upserting them.
        let table = database.schema.createTable('request_rollups_hourly')
          .addColumn('bucket_start', 'bigint', (column) => column.notNull());
        for (const dimension of ROLLUP_DIMENSION_COLUMNS) table = table.addColumn(dimension, 'text');
        for (const measure of ROLLUP_INTEGER_MEASURES) table = table.addColumn(measure, 'bigint', (column) => column.notNull());
        for (const measure of ROLLUP_REAL_MEASURES) table = table.addColumn(measure, 'double precision', (column) => column.notNull());
        for (const column of histogramColumns()) table = table.addColumn(column, 'bigint', (column) => column.notNull());
        await table.execute();
        await database.schema.createIndex('request_rollups_hourly_bucket').on('request_rollups_hourly').column('bucket_start').execute();
        await database.schema.createIndex('request_rollups_hourly_key').on('request_rollups_hourly').columns(['key_id', 'bucket_start'])
          .where(sql.ref('key_id'), 'is not', null).execute();
        await database.schema.createIndex('request_rollups_hourly_tenant').on('request_rollups_hourly').columns(['tenant_id', 'bucket_start'])
          .where(sql.ref('tenant_id'), 'is not', null).execute();
        await database.schema.createTable('rollup_state')
          .addColumn('name', 'text', (column) => column.primaryKey())
          .addColumn('covered_until', 'bigint', (column) => column.notNull())
          .execute();
      },
      async down(database: Kysely<unknown>): Promise<void> {
        await database.schema.dropTable('rollup_state').ifExists().execute();
        await database.schema.dropTable('request_rollups_hourly').ifExists().execute();
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
