import type { Kysely } from 'kysely';
import type { LeaseStore } from '../lease-store.js';
import type { DatabaseSchema } from './database-schema.js';

/**
 * Leases in a table of SQLite or Postgres, for fleets without Redis: one upsert that only takes
 * a row that is expired or already ours, so two instances can never both succeed.
 */
export class SqlLeaseStore implements LeaseStore {
  private readonly database: Kysely<DatabaseSchema>;

  constructor(database: Kysely<DatabaseSchema>) {
    this.database = database;
  }

  async acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    const result = await this.database.insertInto('leases')
      .values({ name, owner, expires_at: now + ttlMs })
      .onConflict((conflict) => conflict.column('name').doUpdateSet({ owner, expires_at: now + ttlMs })
        .where((row) => row.or([row('leases.expires_at', '<=', now), row('leases.owner', '=', owner)])))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async release(name: string, owner: string): Promise<void> {
    await this.database.deleteFrom('leases').where('name', '=', name).where('owner', '=', owner).execute();
  }
}
