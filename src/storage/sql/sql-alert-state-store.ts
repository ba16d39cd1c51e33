import type { Kysely } from 'kysely';
import type { AlertStateRow, AlertStateStore } from '../alert-state-store.js';
import type { DatabaseSchema } from './database-schema.js';

/** Alert state in SQLite or Postgres: one row per rule and scope, replaced on every transition. */
export class SqlAlertStateStore implements AlertStateStore {
  constructor(private readonly database: Kysely<DatabaseSchema>) {}

  async list(): Promise<AlertStateRow[]> {
    const rows = await this.database.selectFrom('alert_states').selectAll().orderBy('rule').orderBy('scope_key').execute();
    return rows.map((row) => ({
      rule: row.rule, scopeKey: row.scope_key, state: row.state === 'firing' ? 'firing' : 'pending', value: row.value === null ? null : Number(row.value),
      episodeStart: Number(row.episode_start), since: Number(row.since), firingSince: row.firing_since === null ? null : Number(row.firing_since),
      notifiedAt: row.notified_at === null ? null : Number(row.notified_at), repeats: Number(row.repeats),
    }));
  }

  async put(row: AlertStateRow): Promise<void> {
    const values = {
      state: row.state, value: row.value, episode_start: row.episodeStart, since: row.since, firing_since: row.firingSince,
      notified_at: row.notifiedAt, repeats: row.repeats,
    };
    await this.database.insertInto('alert_states').values({ rule: row.rule, scope_key: row.scopeKey, ...values })
      .onConflict((conflict) => conflict.columns(['rule', 'scope_key']).doUpdateSet(values))
      .execute();
  }

  async remove(rule: string, scopeKey: string): Promise<void> {
    await this.database.deleteFrom('alert_states').where('rule', '=', rule).where('scope_key', '=', scopeKey).execute();
  }
}
