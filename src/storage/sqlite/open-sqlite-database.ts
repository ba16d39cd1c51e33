import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import type { Database } from '../request-log-store.js';
import { openSqlDatabase } from '../sql/open-sql-database.js';

/**
 * SQLite through better-sqlite3: WAL so readers never block the log writer, NORMAL sync (durable
 * across a process crash, and WAL keeps the file consistent across power loss), and a busy timeout
 * so several workers can share one file.
 */
export function openSqliteDatabase(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const connection = new BetterSqlite3(path);
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('busy_timeout = 5000');
  return openSqlDatabase('sqlite', new SqliteDialect({ database: connection }));
}
