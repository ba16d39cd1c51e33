import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import { MemoryServiceStore } from '../memory/memory-service-store.js';
import { describeServiceStoreContract } from '../service-store.contract.js';
import { openPostgresDatabase } from '../postgres/open-postgres-database.js';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.js';

describeServiceStoreContract('memory', async () => ({ store: new MemoryServiceStore(), cleanup: async () => undefined }));

describeServiceStoreContract('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-services-'));
  const database = openSqliteDatabase(join(directory, 'sluice.db'));
  await database.migrate();
  return {
    store: database.services,
    cleanup: async () => {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describeServiceStoreContract('Postgres', async () => {
  const server = await startPostgresServer();
  const database = openPostgresDatabase(await createDatabase(server, 'services'));
  await database.migrate();
  return {
    store: database.services,
    cleanup: async () => {
      await database.close();
      server.destroy();
    },
  };
});
