import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createDatabase, startPostgresServer } from '../../../test/support/postgres-server.js';
import { describeCacheStoreContract } from '../cache-store.contract.js';
import { openPostgresDatabase } from '../postgres/open-postgres-database.js';
import { openSqliteDatabase } from '../sqlite/open-sqlite-database.js';

describeCacheStoreContract('SQLite', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-cache-'));
  const database = openSqliteDatabase(join(directory, 'sluice.db'));
  await database.migrate();
  return {
    store: database.cache,
    cleanup: async () => {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});

describeCacheStoreContract('Postgres', async () => {
  const server = await startPostgresServer();
  const database = openPostgresDatabase(await createDatabase(server, 'cache'));
  await database.migrate();
  return {
    store: database.cache,
    cleanup: async () => {
      await database.close();
      server.destroy();
    },
  };
});

it('the reaper removes expired rows in batches and leaves live ones', async () => {
  const database = openSqliteDatabase(':memory:');
  await database.migrate();
  const base = {
    tenantId: 't', namespace: '', model: 'm', kind: 'chat' as const, generation: 0, scopeHash: null, embedding: null, value: '{}',
    originRequestId: 'r', costUsd: 0, createdAt: 0, sizeBytes: 2, hitCount: 0, lastHitAt: null,
  };
  for (let index = 0; index < 5; index++) await database.cache.put({ ...base, keyHash: `old${index}`, expiresAt: 100 }, 0);
  await database.cache.put({ ...base, keyHash: 'live', expiresAt: 10_000 }, 0);
  expect(await database.cache.purgeExpired(200, 3)).toBe(3);
  expect(await database.cache.purgeExpired(200, 3)).toBe(2);
  expect(await database.cache.stats(undefined, 0)).toEqual({ entries: 1, bytes: 2 });
  await database.close();
});
