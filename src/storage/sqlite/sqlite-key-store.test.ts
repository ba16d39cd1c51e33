import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeKeyStoreContract } from '../key-store.contract.js';
import { openSqliteDatabase } from './open-sqlite-database.js';

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
