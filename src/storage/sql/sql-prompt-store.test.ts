import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import { describePromptStoreContract } from '../prompt-store.contract.js';
import { openPostgresDatabase } from '../postgres/open-postgres-database.js';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.js';

describePromptStoreContract('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-prompts-'));
  const path = join(directory, 'sluice.db');
  const database = openSqliteDatabase(path);
  return {
    database,
    rewriteVersion: async (promptId, version) => {
      const connection = new BetterSqlite3(path);
      try {
        connection.prepare('UPDATE prompt_versions SET template = ? WHERE prompt_id = ? AND version = ?').run('"changed"', promptId, version);
      } finally {
        connection.close();
      }
    },
    cleanup: async () => {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describePromptStoreContract('Postgres', async () => {
  const server = await startPostgresServer();
  const url = await createDatabase(server, 'prompts');
  const database = openPostgresDatabase(url);
  return {
    database,
    rewriteVersion: async (promptId, version) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('UPDATE prompt_versions SET template = $1 WHERE prompt_id = $2 AND version = $3', ['"changed"', promptId, version]);
      } finally {
        await client.end();
      }
    },
    cleanup: async () => {
      await database.close();
      server.destroy();
    },
  };
});
