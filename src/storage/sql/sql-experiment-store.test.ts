import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import { openPostgresDatabase } from '../postgres/open-postgres-database.js';
import { describeExperimentStoreContract } from '../experiment-store.contract.js';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.js';

describeExperimentStoreContract('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-experiments-'));
  const database = openSqliteDatabase(join(directory, 'sluice.db'));
  await database.migrate();
  return {
    store: database.experiments,
    cleanup: async () => {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describeExperimentStoreContract('Postgres', async () => {
  const server = await startPostgresServer();
  const database = openPostgresDatabase(await createDatabase(server, 'experiments'));
  await database.migrate();
  return {
    store: database.experiments,
    cleanup: async () => {
      await database.close();
      server.destroy();
    },
  };
});
