import { dirname, isAbsolute, resolve } from 'node:path';

/**
 * Where Sluice keeps local state (the development admin key, spill files): beside the SQLite
 * database, or ./.sluice when the database is elsewhere.
 */
export function stateDirectory(databaseUrl: string, cwd: string): string {
  if (databaseUrl.startsWith('sqlite://')) {
    const path = databaseUrl.slice('sqlite://'.length);
    if (path !== '' && path !== ':memory:') return dirname(isAbsolute(path) ? path : resolve(cwd, path));
  }
  return resolve(cwd, '.sluice');
}
