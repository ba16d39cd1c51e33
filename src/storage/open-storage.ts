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
  /** Whether the migrations are in (the instance is not ready before). */
  isMigrated(): boolean;
  close(): Promise<void>;
}

/** How long a start waits for the first migration attempt before serving anyway (rows spill meanwhile). */
const MIGRATION_WAIT_MS = 10_000;
/** Retries of a failed migration back off from the first delay to the last. */
const MIGRATION_RETRY_FIRST_MS = 500;
const MIGRATION_RETRY_MAX_MS = 15_000;

/**
 * Opens the database and applies migrations in the background, retrying with backoff while it is
 * down. A start waits for the first attempt only: with the database down the gateway still
 * listens (not ready) and becomes ready once a retry succeeds.
 */
export async function openStorage(settings: StorageSettings): Promise<Storage> {
  const database = await openDatabase(settings.databaseUrl, { cwd: settings.cwd, onError: settings.onError });
  let closed = false;
  let done = false;
  let wake: (() => void) | null = null;
  let firstAttempt: () => void = () => {};
  const attempted = new Promise<void>((resolve) => { firstAttempt = resolve; });
  const migrated = (async () => {
    for (let attempt = 1; !closed; attempt += 1) {
      try {
        const applied = await database.migrate();
        if (applied.length > 0) settings.onMigrated(applied);
        done = true;
        return;
      } catch (error) {
        if (attempt === 1) settings.onMigrationError(error);
        firstAttempt();
        const delay = Math.min(MIGRATION_RETRY_MAX_MS, MIGRATION_RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 10));
        // Unref'd: the server keeps the process alive; a closed gateway stops retrying.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, delay).unref();
        });
      } finally {
        firstAttempt();
      }
    }
    throw new Error('the database closed before its migrations were applied');
  })();
  migrated.catch(() => {});
  // A referenced timer: with nothing else running yet, an unreferenced one would let the process end here.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([attempted, new Promise((resolve) => { timer = setTimeout(resolve, MIGRATION_WAIT_MS); })]);
  clearTimeout(timer);
  return {
    database,
    stateDirectory: stateDirectory(settings.databaseUrl, settings.cwd),
    migrated,
    isMigrated: () => done,
    async close() {
      closed = true;
      wake?.();
      await database.close();
    },
  };
}

/** The development admin key, generated once into the state directory (0600) so it survives restarts. */
export function developmentAdminKey(databaseUrl: string, cwd: string): string {
  return loadOrCreateAdminKey(join(stateDirectory(databaseUrl, cwd), 'admin-key')).key;
}
