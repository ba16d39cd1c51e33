import { join } from 'node:path';
import { loadOrCreateAdminKey } from './admin-key-file.js';
import { openDatabase } from './open-database.js';
import type { Database } from './request-log-store.js';
import { stateDirectory } from './state-directory.js';

export interface StorageSettings {
  databaseUrl: string;
  /** Where relative paths resolve. */
  cwd: string;
  onError: (error: Error) => void;
  /** First failure of a migration attempt (later ones retry quietly). */
  onMigrationError: (error: unknown) => void;
  onMigrated: (applied: readonly string[]) => void;
}

export interface Storage {
  database: Database;
  /** Local state (the spill file, the development admin key). */
  stateDirectory: string;
  /** Resolves once migrations are applied (retried while the database is unreachable). */
  migrated: Promise<void>;
  close(): Promise<void>;
}

/** How long a start waits for the first migration before serving anyway (rows spill meanwhile). */
const MIGRATION_WAIT_MS = 10_000;
const MIGRATION_RETRY_MS = 5000;

/** Opens the database and applies migrations in the background, retrying while it is down. */
export async function openStorage(settings: StorageSettings): Promise<Storage> {
  const database = await openDatabase(settings.databaseUrl, { cwd: settings.cwd, onError: settings.onError });
  let closed = false;
  const migrated = (async () => {
    for (let attempt = 1; !closed; attempt += 1) {
      try {
        const applied = await database.migrate();
        if (applied.length > 0) settings.onMigrated(applied);
        return;
      } catch (error) {
        if (attempt === 1) settings.onMigrationError(error);
        await new Promise((resolve) => setTimeout(resolve, MIGRATION_RETRY_MS).unref());
      }
    }
  })();
  await Promise.race([migrated, new Promise((resolve) => setTimeout(resolve, MIGRATION_WAIT_MS).unref())]);
  return {
    database,
    stateDirectory: stateDirectory(settings.databaseUrl, settings.cwd),
    migrated,
    async close() {
      closed = true;
      await database.close();
    },
  };
}

/** The development admin key, generated once into the state directory (0600) so it survives restarts. */
export function developmentAdminKey(databaseUrl: string, cwd: string): string {
  return loadOrCreateAdminKey(join(stateDirectory(databaseUrl, cwd), 'admin-key')).key;
}
