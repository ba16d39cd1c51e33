import type BetterSqlite3 from 'better-sqlite3';
import type { RequestLogValues } from '../request-log-values.js';
import { ATTEMPTS_INDEX, REQUEST_LOG_COLUMN_COUNT } from '../request-log-values.js';
import { ATTEMPT_COLUMNS, REQUEST_LOG_COLUMNS, SEARCH_TEXT_LIMIT } from '../sql/request-log-columns.js';

/** Where the text full-text search covers sits in a row: error code and message, metadata, bodies. */
const SEARCHED_VALUES = (['error_code', 'error_message', 'metadata', 'request_body', 'response_body'] as const)
  .map((column) => REQUEST_LOG_COLUMNS.indexOf(column));

/**
 * Writes a batch of rows in one transaction, binding each row's values by position to three
 * statements prepared on first use (after the migrations ran): no per-row object, no name lookups.
 */
export function createSqliteLogInserter(connection: BetterSqlite3.Database): (rows: readonly RequestLogValues[]) => void {
  let write: ((rows: readonly RequestLogValues[]) => void) | null = null;
  return (rows) => {
    if (write === null) write = prepare(connection);
    write(rows);
  };
}

function prepare(connection: BetterSqlite3.Database): (rows: readonly RequestLogValues[]) => void {
  const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');
  const insertLog = connection.prepare(`INSERT INTO request_logs (${REQUEST_LOG_COLUMNS.join(', ')}) VALUES (${placeholders(REQUEST_LOG_COLUMNS.length)}) ON CONFLICT (row_key) DO NOTHING`);
  const insertAttempt = connection.prepare(`INSERT INTO request_attempts (${ATTEMPT_COLUMNS.join(', ')}) VALUES (${placeholders(ATTEMPT_COLUMNS.length)}) ON CONFLICT (row_key, attempt_index) DO NOTHING`);
  // A trigger, even one whose WHEN is false, cost a third of each insert: the writer adds a
  // row's text itself, and only when it has any.
  const insertText = connection.prepare('INSERT INTO request_logs_fts (rowid, document) VALUES (?, ?)');
  return connection.transaction((rows: readonly RequestLogValues[]) => {
    for (const row of rows) {
      const attempts = row[ATTEMPTS_INDEX];
      const result = insertLog.run(row.slice(0, REQUEST_LOG_COLUMN_COUNT));
      if (result.changes === 0) continue;
      if (attempts !== null && attempts !== undefined) {
        for (let index = 0; index < attempts.length; index += 1) insertAttempt.run(row[0], row[1], index, ...attempts[index]!);
      }
      const text = searchText(row);
      if (text !== '') insertText.run(result.lastInsertRowid, text);
    }
  });
}

function searchText(row: RequestLogValues): string {
  let text = '';
  for (const index of SEARCHED_VALUES) {
    const part = row[index];
    if (typeof part === 'string' && part !== '') text = text === '' ? part : `${text} ${part}`;
  }
  return text.length > SEARCH_TEXT_LIMIT ? text.slice(0, SEARCH_TEXT_LIMIT) : text;
}
