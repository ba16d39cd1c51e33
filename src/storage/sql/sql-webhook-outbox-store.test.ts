import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import { openPostgresDatabase } from '../postgres/open-postgres-database.js';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.js';
import { describeWebhookOutboxStoreContract } from '../webhook-outbox-store.contract.js';

describeWebhookOutboxStoreContract('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-outbox-'));
  const database = openSqliteDatabase(join(directory, 'sluice.db'));
  await database.migrate();
  // A second connection to the same file: another process on this machine.
  const other = openSqliteDatabase(join(directory, 'sluice.db'));
  return {
    store: database.webhookOutbox,
    other: other.webhookOutbox,
    cleanup: async () => {
      await other.close();
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describeWebhookOutboxStoreContract('Postgres', async () => {
  const server = await startPostgresServer();
  const url = await createDatabase(server, 'outbox');
  const database = openPostgresDatabase(url);
  await database.migrate();
  const other = openPostgresDatabase(url);
  return {
    store: database.webhookOutbox,
    other: other.webhookOutbox,
    cleanup: async () => {
      await other.close();
      await database.close();
      server.destroy();
    },
  };
});
