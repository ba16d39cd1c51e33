import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../src/storage/request-log-store.js';
import { openPostgresDatabase } from '../../src/storage/postgres/open-postgres-database.js';
import { openSqliteDatabase } from '../../src/storage/sqlite/open-sqlite-database.js';
import { createDatabase, startPostgresServer } from './postgres-server.js';
import type { PostgresServer } from './postgres-server.js';

/**
 * A migrated SQLite database and a migrated database on a real Postgres server, opened before the
 * file's tests and closed after them: what a store contract suite runs against on both backends.
 * Read them inside tests (or the contract's factory), once `beforeAll` has run.
 */
export function useMigratedDatabases(name: string): { sqlite: () => Database; postgres: () => Database } {
  const directory = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
  let server: PostgresServer | undefined;
  let sqlite: Database | undefined;
  let postgres: Database | undefined;
  beforeAll(async () => {
    server = await startPostgresServer();
    sqlite = openSqliteDatabase(join(directory, 'sluice.db'));
    postgres = openPostgresDatabase(await createDatabase(server, name.replaceAll('-', '_')));
    await Promise.all([sqlite.migrate(), postgres.migrate()]);
  });
  afterAll(async () => {
    await Promise.all([sqlite?.close(), postgres?.close()]);
    server?.destroy();
    rmSync(directory, { recursive: true, force: true });
  });
  const opened = (database: Database | undefined): Database => {
    if (database === undefined) throw new Error('the databases open in beforeAll');
    return database;
  };
  return { sqlite: () => opened(sqlite), postgres: () => opened(postgres) };
}
