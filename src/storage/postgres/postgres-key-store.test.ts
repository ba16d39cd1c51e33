import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import { describeKeyStoreContract } from '../key-store.contract.js';
import { openPostgresDatabase } from './open-postgres-database.js';

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
