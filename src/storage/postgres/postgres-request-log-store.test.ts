import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import { describeRequestLogStoreContract } from '../request-log-store.contract.js';
import { openPostgresDatabase } from './open-postgres-database.js';

describeRequestLogStoreContract('Postgres', async () => {
  const server = await startPostgresServer();
  const database = openPostgresDatabase(await createDatabase(server, 'contract'));
  return {
    database,
    cleanup: async () => {
      await database.close();
      server.destroy();
    },
  };
});
