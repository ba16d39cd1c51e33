import { isAbsolute, resolve } from 'node:path';
import { openPostgresDatabase } from './postgres/open-postgres-database.js';
import type { Database } from './request-log-store.js';
import { openSqliteDatabase } from './sqlite/open-sqlite-database.js';

export interface OpenDatabaseOptions {
  /** Where a relative sqlite:// path resolves. */
  cwd: string;
  onError?: (error: Error) => void;
}

/**
 * `sqlite://./relative.db`, `sqlite:///absolute.db`, `sqlite://:memory:`, or `postgres://…`
 * (also `postgresql://`).
 */
export function openDatabase(url: string, options: OpenDatabaseOptions): Database {
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (path === '' ) throw new Error('storage.database_url: sqlite:// needs a path');
    return openSqliteDatabase(path === ':memory:' || isAbsolute(path) ? path : resolve(options.cwd, path));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return openPostgresDatabase(url, { onError: options.onError });
  }
  throw new Error('storage.database_url: must start with sqlite:// or postgres://');
}
