import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import type { PostgresServer } from '../../../test/support/postgres-server.js';
import type { Database } from '../request-log-store.js';
import { describeRollupStoreContract } from '../rollup-store.contract.js';
import { openPostgresDatabase } from '../postgres/open-postgres-database.js';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.js';

const directory = mkdtempSync(join(tmpdir(), 'sluice-rollups-'));
let server: PostgresServer;
let sqlite: Database;
let postgres: Database;

beforeAll(async () => {
  server = await startPostgresServer();
  sqlite = openSqliteDatabase(join(directory, 'sluice.db'));
  postgres = openPostgresDatabase(await createDatabase(server, 'rollups'));
  await Promise.all([sqlite.migrate(), postgres.migrate()]);
});

afterAll(async () => {
  await Promise.all([sqlite?.close(), postgres?.close()]);
  server?.destroy();
  rmSync(directory, { recursive: true, force: true });
});

describeRollupStoreContract('SQLite', async () => sqlite);
describeRollupStoreContract('Postgres', async () => postgres);
