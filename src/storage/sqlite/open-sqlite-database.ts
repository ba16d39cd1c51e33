import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import type { Database, RequestLogRow } from '../request-log-store.js';
import { openSqlDatabase } from '../sql/open-sql-database.js';
import { SEARCH_TEXT_LIMIT } from '../sql/migrations.js';
import { toAttemptRecords, toRecord } from '../sql/sql-request-log-store.js';

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
  return openSqlDatabase('sqlite', new SqliteDialect({ database: connection }), {
    directInsert: createDirectInsert(connection),
  });
}

/** Writes a batch in one transaction with two statements prepared once (after the migrations ran). */
function createDirectInsert(connection: BetterSqlite3.Database): (rows: readonly RequestLogRow[]) => void {
  let write: ((rows: readonly RequestLogRow[]) => void) | null = null;
  return (rows) => {
    if (write === null) {
      const first = rows[0];
      if (first === undefined) return;
      const logColumns = Object.keys(toRecord(first));
      const attemptColumns = ['row_key', 'attempt_index', 'request_id', 'provider', 'model', 'started_at', 'duration_ms', 'status_code', 'error_code', 'error_message', 'kind'];
      const insertLog = connection.prepare(`INSERT INTO request_logs (${logColumns.join(', ')}) VALUES (${logColumns.map((column) => `@${column}`).join(', ')}) ON CONFLICT (row_key) DO NOTHING`);
      const insertAttempt = connection.prepare(`INSERT INTO request_attempts (${attemptColumns.join(', ')}) VALUES (${attemptColumns.map((column) => `@${column}`).join(', ')}) ON CONFLICT (row_key, attempt_index) DO NOTHING`);
      const insertText = connection.prepare('INSERT INTO request_logs_fts (rowid, document) VALUES (?, ?)');
      write = connection.transaction((batch: readonly RequestLogRow[]) => {
        for (const row of batch) {
          const record = toRecord(row);
          const result = insertLog.run(record);
          if (result.changes === 0) continue;
          for (const attempt of toAttemptRecords(row)) insertAttempt.run(attempt);
          const text = searchText(record.error_code, record.error_message, record.metadata, record.request_body, record.response_body);
          if (text !== '') insertText.run(result.lastInsertRowid, text);
        }
      });
    }
    write(rows);
  };
}

/** What full-text search covers: error code and message, metadata, bodies. */
function searchText(...parts: Array<string | null>): string {
  let text = '';
  for (const part of parts) {
    if (part !== null && part !== '') text = text === '' ? part : `${text} ${part}`;
  }
  return text.length > SEARCH_TEXT_LIMIT ? text.slice(0, SEARCH_TEXT_LIMIT) : text;
}
