import type { Kysely } from 'kysely';
import { z } from 'zod';
import type {
  NewWebhookMessage, WebhookAttemptResult, WebhookMessage, WebhookOutboxStore,
} from '../webhook-outbox-store.js';
import type { DatabaseSchema, SqlDialectName, WebhookOutboxTable } from './database-schema.js';

const number = z.coerce.number();
const nullableNumber = z.union([z.null(), z.coerce.number()]);

const rowSchema = z.object({
  id: z.string(),
  dedupe_key: z.string(),
  url: z.string(),
  secret_ref: z.string(),
  event_type: z.string(),
  payload: z.string(),
  tenant_id: z.string().nullable(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: number,
  next_attempt_at: number,
  lease_owner: z.string().nullable(),
  lease_until: nullableNumber,
  last_status: nullableNumber,
  last_error: z.string().nullable(),
  created_at: number,
  delivered_at: nullableNumber,
});

/** The webhook outbox in SQLite or Postgres; Postgres claimers skip each other's locked rows. */
export class SqlWebhookOutboxStore implements WebhookOutboxStore {
  constructor(private readonly database: Kysely<DatabaseSchema>, private readonly dialect: SqlDialectName) {}

  async enqueue(message: NewWebhookMessage): Promise<boolean> {
    return (await this.enqueueAll([message])) > 0;
  }

  async enqueueAll(messages: readonly NewWebhookMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const result = await this.database.insertInto('webhook_outbox').values(messages.map(toRow))
      .onConflict((conflict) => conflict.doNothing()).executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0);
  }

  async claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<WebhookMessage[]> {
    const claim = async (database: Kysely<DatabaseSchema>): Promise<WebhookMessage[]> => {
      const due = database.selectFrom('webhook_outbox').select('id')
        .where('status', '=', 'pending').where('next_attempt_at', '<=', now)
        .where((builder) => builder.or([builder('lease_until', 'is', null), builder('lease_until', '<', now)]))
        .orderBy('next_attempt_at').limit(limit);
      // Postgres: lock the chosen rows first, skipping rows another claimer holds (an `IN
      // (subquery … LIMIT)` may be re-run by the planner and pick more rows than the limit).
      // SQLite runs the single UPDATE below alone, so its subquery needs no lock.
      const ids = this.dialect === 'postgres'
        ? (await due.forUpdate().skipLocked().execute()).map((row) => row.id)
        : null;
      if (ids !== null && ids.length === 0) return [];
      const rows = await database.updateTable('webhook_outbox')
        .set({ lease_owner: owner, lease_until: now + leaseMs })
        .where('id', 'in', ids ?? due)
        .where('status', '=', 'pending')
        .where((builder) => builder.or([builder('lease_until', 'is', null), builder('lease_until', '<', now)]))
        .returningAll().execute();
      return rows.map(fromRow).sort((left, right) => left.nextAttemptAt - right.nextAttemptAt || (left.id < right.id ? -1 : 1));
    };
    return this.dialect === 'postgres' ? this.database.transaction().execute(claim) : claim(this.database);
  }

  async markDelivered(id: string, owner: string, at: number, status: number): Promise<boolean> {
    const result = await this.database.updateTable('webhook_outbox')
      .set((builder) => ({
        status: 'delivered', attempts: builder('attempts', '+', 1), last_status: status, last_error: null, delivered_at: at,
        lease_owner: null, lease_until: null,
      }))
      .where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async markAttemptFailed(id: string, owner: string, attempt: WebhookAttemptResult): Promise<boolean> {
    const result = await this.database.updateTable('webhook_outbox')
      .set((builder) => ({
        status: attempt.retryAt === null ? 'failed' : 'pending', attempts: builder('attempts', '+', 1),
        ...(attempt.retryAt === null ? {} : { next_attempt_at: attempt.retryAt }),
        last_status: attempt.status, last_error: attempt.error, lease_owner: null, lease_until: null,
      }))
      .where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async get(id: string): Promise<WebhookMessage | null> {
    const row = await this.database.selectFrom('webhook_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async listRecent(limit: number, tenantId?: string): Promise<WebhookMessage[]> {
    const rows = await this.database.selectFrom('webhook_outbox').selectAll()
      .$if(tenantId !== undefined, (query) => query.where('tenant_id', '=', tenantId ?? null))
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: unknown): WebhookMessage {
  const parsed = rowSchema.parse(row);
  return {
    id: parsed.id, dedupeKey: parsed.dedupe_key, url: parsed.url, secretRef: parsed.secret_ref, eventType: parsed.event_type,
    payload: parsed.payload, tenantId: parsed.tenant_id, createdAt: parsed.created_at, status: parsed.status,
    attempts: parsed.attempts, nextAttemptAt: parsed.next_attempt_at, leaseOwner: parsed.lease_owner,
    leaseUntil: parsed.lease_until, lastStatus: parsed.last_status, lastError: parsed.last_error, deliveredAt: parsed.delivered_at,
  };
}

function toRow(message: NewWebhookMessage): WebhookOutboxTable {
  return {
    id: message.id, dedupe_key: message.dedupeKey, url: message.url, secret_ref: message.secretRef,
    event_type: message.eventType, payload: message.payload, tenant_id: message.tenantId, status: 'pending', attempts: 0,
    next_attempt_at: message.createdAt, lease_owner: null, lease_until: null, last_status: null, last_error: null,
    created_at: message.createdAt, delivered_at: null,
  };
}
