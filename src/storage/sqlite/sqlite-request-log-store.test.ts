import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRequestLogStoreContract } from '../request-log-store.contract.js';
import { openSqliteDatabase } from './open-sqlite-database.js';

describeRequestLogStoreContract('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-sqlite-'));
  const database = openSqliteDatabase(join(directory, 'nested', 'sluice.db'));
  return {
    database,
    cleanup: async () => {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});
