import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { ResponseStore, StoredResponse } from '../response-store.js';
import type { DatabaseSchema } from './database-schema.js';

const jsonObject = z.record(z.string(), z.unknown());
const jsonItems = z.array(jsonObject);

/** Stored responses in SQLite or Postgres: the Response and its input items as JSON text. */
export class SqlResponseStore implements ResponseStore {
  private readonly database: Kysely<DatabaseSchema>;

  constructor(database: Kysely<DatabaseSchema>) {
    this.database = database;
  }

  async put(record: StoredResponse): Promise<void> {
    await this.database.insertInto('responses').values({
      id: record.id,
      owner: record.owner,
      created_at: record.createdAt,
      expires_at: record.expiresAt,
      response: JSON.stringify(record.response),
      input_items: JSON.stringify(record.inputItems),
    }).execute();
  }

  async get(id: string, owner: string, now: number): Promise<StoredResponse | null> {
    const row = await this.database.selectFrom('responses').selectAll()
      .where('id', '=', id).where('owner', '=', owner)
      .where((where) => where.or([where('expires_at', 'is', null), where('expires_at', '>', now)]))
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      id: row.id,
      owner: row.owner,
      createdAt: Number(row.created_at),
      expiresAt: row.expires_at === null ? null : Number(row.expires_at),
      response: jsonObject.parse(JSON.parse(row.response)),
      inputItems: jsonItems.parse(JSON.parse(row.input_items)),
    };
  }

  async delete(id: string, owner: string): Promise<boolean> {
    const result = await this.database.deleteFrom('responses').where('id', '=', id).where('owner', '=', owner).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteExpired(now: number): Promise<number> {
    const result = await this.database.deleteFrom('responses').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
