import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import { describeKeyStoreContract } from '../key-store.contract.js';
import { openPostgresDatabase } from '../postgres/open-postgres-database.js';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.js';

describeKeyStoreContract('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-keys-'));
  const database = openSqliteDatabase(join(directory, 'sluice.db'));
  await database.migrate();
  return {
    store: database.keys,
    cleanup: async () => {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describeKeyStoreContract('Postgres', async () => {
  const server = await startPostgresServer();
  const database = openPostgresDatabase(await createDatabase(server, 'keys'));
  await database.migrate();
  return {
    store: database.keys,
    cleanup: async () => {
      await database.close();
      server.destroy();
    },
  };
});
