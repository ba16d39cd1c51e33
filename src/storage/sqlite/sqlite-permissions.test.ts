import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../open-database.js';
import { developmentAdminKey } from '../open-storage.js';

/** The bits a group or other user would need to read or enter. */
const NOT_OWNER = 0o077;

describe('local state is owner-only', () => {
  let directory: string;
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('the database directory it creates, the database file and its WAL files are owner-only', async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-perm-'));
    const database = await openDatabase('sqlite://state/nested/sluice.db', { cwd: directory });
    await database.migrate();
    await database.requestLog.count({});
    const files = ['state', 'state/nested', 'state/nested/sluice.db', 'state/nested/sluice.db-wal', 'state/nested/sluice.db-shm'];
    for (const file of files) expect(statSync(join(directory, file)).mode & NOT_OWNER, file).toBe(0);
    await database.close();
  });

  it('the admin-key file and the directory Sluice creates for it are owner-only', () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-perm-'));
    developmentAdminKey('postgres://nowhere/db', directory);
    for (const file of ['.sluice', '.sluice/admin-key']) expect(statSync(join(directory, file)).mode & NOT_OWNER, file).toBe(0);
  });
});
