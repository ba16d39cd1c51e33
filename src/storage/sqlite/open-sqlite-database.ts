import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import type { Database } from '../request-log-store.js';
import { openSqlDatabase } from '../sql/open-sql-database.js';
import { configureConnection } from './configure-connection.js';
import { createSqliteLogInserter } from './sqlite-log-inserter.js';
import { SqliteLogThread } from './sqlite-log-thread.js';

/**
 * SQLite through better-sqlite3. The driver is synchronous, so the request log's inserts run in a
 * worker thread with a connection of its own and never stall the event loop; queries and
 * migrations use this thread's connection. An in-memory database cannot be shared with another
 * connection, so there the rows are written on this thread.
 */
export function openSqliteDatabase(path: string): Database {
  // The log holds prompts, key ids and costs: directories Sluice creates are owner-only.
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const connection = configureConnection(new BetterSqlite3(path));
  if (path !== ':memory:') restrictToOwner(path);
  if (path === ':memory:') {
    const insert = createSqliteLogInserter(connection);
    return openSqlDatabase('sqlite', new SqliteDialect({ database: connection }), {
      insertRows: async (rows) => insert(rows),
    });
  }
  const thread = new SqliteLogThread(path);
  return openSqlDatabase('sqlite', new SqliteDialect({ database: connection }), {
    insertRows: (rows) => thread.insert(rows),
    onClose: () => thread.close(),
  });
}

/**
 * The database file and its WAL companions are owner-only, whatever the umask: SQLite creates
 * them with the process's default mode (often world-readable).
 */
function restrictToOwner(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}
