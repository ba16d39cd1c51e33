import { loadConfig } from '../config/index.js';
import { openDatabase } from '../storage/index.js';

/** `sluice migrate`: applies pending migrations to the configured database. */
export async function runMigrate(options: { config?: string; json?: boolean }): Promise<void> {
  const { config } = loadConfig({ file: options.config });
  const database = await openDatabase(config.storage.database_url, { cwd: process.cwd() });
  try {
    const applied = await database.migrate();
    if (options.json === true) process.stdout.write(`${JSON.stringify({ database: database.kind, applied })}\n`);
    else if (applied.length === 0) process.stdout.write(`${database.kind}: up to date\n`);
    else process.stdout.write(`${database.kind}: applied ${applied.join(', ')}\n`);
  } finally {
    await database.close();
  }
}
