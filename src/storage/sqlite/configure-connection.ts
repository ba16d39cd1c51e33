import type BetterSqlite3 from 'better-sqlite3';

/**
 * WAL so readers never block the log writer, NORMAL sync (durable across a process crash, and WAL
 * keeps the file consistent across power loss), and a busy timeout so the log's worker thread and
 * several processes can share one file.
 */
export function configureConnection(connection: BetterSqlite3.Database): BetterSqlite3.Database {
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = NORMAL');
  connection.pragma('busy_timeout = 5000');
  return connection;
}
