import { loadConfig } from '../config/index.js';
import { openDatabase } from '../storage/index.js';
import type { Database } from '../storage/index.js';

/** Opens the database the config names, with migrations applied. */
export async function openConfiguredDatabase(configFile: string | undefined): Promise<Database> {
  const { config } = loadConfig({ file: configFile });
  const database = await openDatabase(config.storage.database_url, { cwd: process.cwd() });
  try {
    await database.migrate();
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
  return database;
}
