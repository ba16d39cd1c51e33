import { isAbsolute, resolve } from 'node:path';
import type { Database } from './request-log-store.js';

export interface OpenDatabaseOptions {
  /** Where a relative sqlite:// path resolves. */
  cwd: string;
  onError?: (error: Error) => void;
}

/**
 * `sqlite://./relative.db`, `sqlite:///absolute.db`, `sqlite://:memory:`, or `postgres://…`
 * (also `postgresql://`). Each backend's driver is imported only when the URL names it, so a
 * SQLite gateway never loads pg.
 */
export async function openDatabase(url: string, options: OpenDatabaseOptions): Promise<Database> {
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (path === '' ) throw new Error('storage.database_url: sqlite:// needs a path');
    const { openSqliteDatabase } = await import('./sqlite/open-sqlite-database.js');
    return openSqliteDatabase(path === ':memory:' || isAbsolute(path) ? path : resolve(options.cwd, path));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgresDatabase } = await import('./postgres/open-postgres-database.js');
    return openPostgresDatabase(url, { onError: options.onError });
  }
  throw new Error('storage.database_url: must start with sqlite:// or postgres://');
}
