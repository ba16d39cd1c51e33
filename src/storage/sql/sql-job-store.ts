import type { Kysely, Updateable } from 'kysely';
import { z } from 'zod';
import type { JobListQuery, JobPatch, JobRecord, JobStore } from '../job-store.js';
import type { DatabaseSchema, JobTable, SqlDialectName } from './database-schema.js';

const number = z.coerce.number();
const nullableNumber = z.union([z.null(), z.coerce.number()]);
const jsonObject = z.record(z.string(), z.unknown());

const rowSchema = z.object({
  id: z.string(),
  kind: z.enum(['video', 'image']),
  owner_scope: z.string().nullable(),
  tenant_id: z.string().nullable(),
  key_id: z.string().nullable(),
  request_id: z.string(),
  public_model: z.string(),
  provider: z.string(),
  target_model: z.string(),
  provider_ref: z.string().nullable(),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  progress: nullableNumber,
  request_json: z.string(),
  result_json: z.string().nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  created_at: number,
  updated_at: number,
  completed_at: nullableNumber,
  expires_at: nullableNumber,
  next_poll_at: nullableNumber,
  poll_attempts: number,
  lease_owner: z.string().nullable(),
  lease_until: nullableNumber,
  reserved_usd: number,
  cost_usd: nullableNumber,
  webhook_url: z.string().nullable(),
  webhook_secret_ref: z.string().nullable(),
  metadata: z.string(),
});

const UNFINISHED = ['queued', 'in_progress'];

/** Jobs in SQLite or Postgres; Postgres claimers skip each other's locked rows. */
export class SqlJobStore implements JobStore {
  constructor(private readonly database: Kysely<DatabaseSchema>, private readonly dialect: SqlDialectName) {}

  async insert(job: JobRecord): Promise<void> {
    await this.database.insertInto('jobs').values(toRow(job)).execute();
  }

  async get(id: string, ownerScope: string | null): Promise<JobRecord | null> {
    const row = await this.database.selectFrom('jobs').selectAll().where('id', '=', id)
      .$if(ownerScope !== null, (query) => query.where('owner_scope', '=', ownerScope))
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async list(query: JobListQuery): Promise<{ jobs: JobRecord[]; hasMore: boolean }> {
    const anchor = query.after === undefined ? undefined : await this.get(query.after, query.ownerScope);
    const comparison = query.order === 'asc' ? '>' : '<';
    const rows = await this.database.selectFrom('jobs').selectAll()
      .$if(query.ownerScope !== null, (builder) => builder.where('owner_scope', '=', query.ownerScope))
      .$if(query.kind !== undefined, (builder) => builder.where('kind', '=', query.kind ?? ''))
      .$if(anchor !== undefined && anchor !== null, (builder) => builder.where((where) => where.or([
        where('created_at', comparison, anchor?.createdAt ?? 0),
        where.and([where('created_at', '=', anchor?.createdAt ?? 0), where('id', comparison, anchor?.id ?? '')]),
      ])))
      .orderBy('created_at', query.order).orderBy('id', query.order)
      .limit(query.limit + 1).execute();
    return { jobs: rows.slice(0, query.limit).map(fromRow), hasMore: rows.length > query.limit };
  }

  async claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<JobRecord[]> {
    const claim = async (database: Kysely<DatabaseSchema>): Promise<JobRecord[]> => {
      const due = database.selectFrom('jobs').select('id')
        .where('status', 'in', UNFINISHED).where('next_poll_at', '<=', now)
        .where((builder) => builder.or([builder('lease_until', 'is', null), builder('lease_until', '<', now)]))
        .orderBy('next_poll_at').limit(limit);
      // Postgres: lock the chosen rows first, skipping those another instance is claiming (the
      // planner may re-run an `IN (subquery … LIMIT)` and pick more rows than the limit). SQLite
      // runs the single UPDATE below alone. The lease test is repeated in the UPDATE so that a row
      // claimed meanwhile is never leased twice.
      const ids = this.dialect === 'postgres' ? (await due.forUpdate().skipLocked().execute()).map((row) => row.id) : null;
      if (ids !== null && ids.length === 0) return [];
      const rows = await database.updateTable('jobs')
        .set({ lease_owner: owner, lease_until: now + leaseMs })
        .where('id', 'in', ids ?? due)
        .where('status', 'in', UNFINISHED)
        .where((builder) => builder.or([builder('lease_until', 'is', null), builder('lease_until', '<', now)]))
        .returningAll().execute();
      return rows.map(fromRow).sort((left, right) => (left.nextPollAt ?? 0) - (right.nextPollAt ?? 0));
    };
    return this.dialect === 'postgres' ? this.database.transaction().execute(claim) : claim(this.database);
  }

  async nextDueAt(now: number): Promise<number | null> {
    const row = await this.database.selectFrom('jobs')
      .select((builder) => builder.fn.min('next_poll_at').as('soonest'))
      .where('status', 'in', UNFINISHED)
      .where((builder) => builder.or([builder('lease_until', 'is', null), builder('lease_until', '<', now)]))
      .executeTakeFirst();
    return row?.soonest === null || row?.soonest === undefined ? null : Number(row.soonest);
  }

  async update(id: string, owner: string, patch: JobPatch): Promise<boolean> {
    const changes: Updateable<JobTable> = {};
    if (patch.providerRef !== undefined) changes.provider_ref = patch.providerRef;
    if (patch.status !== undefined) changes.status = patch.status;
    if (patch.progress !== undefined) changes.progress = patch.progress;
    if (patch.result !== undefined) changes.result_json = patch.result === null ? null : JSON.stringify(patch.result);
    if (patch.errorCode !== undefined) changes.error_code = patch.errorCode;
    if (patch.errorMessage !== undefined) changes.error_message = patch.errorMessage;
    if (patch.updatedAt !== undefined) changes.updated_at = patch.updatedAt;
    if (patch.completedAt !== undefined) changes.completed_at = patch.completedAt;
    if (patch.expiresAt !== undefined) changes.expires_at = patch.expiresAt;
    if (patch.nextPollAt !== undefined) changes.next_poll_at = patch.nextPollAt;
    if (patch.pollAttempts !== undefined) changes.poll_attempts = patch.pollAttempts;
    if (patch.leaseOwner !== undefined) changes.lease_owner = patch.leaseOwner;
    if (patch.leaseUntil !== undefined) changes.lease_until = patch.leaseUntil;
    if (patch.costUsd !== undefined) changes.cost_usd = patch.costUsd;
    const result = await this.database.updateTable('jobs').set(changes)
      .where('id', '=', id).where('lease_owner', '=', owner).where('status', 'in', UNFINISHED)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(id: string, ownerScope: string | null): Promise<JobRecord | null> {
    const job = await this.get(id, ownerScope);
    if (job === null) return null;
    await this.database.deleteFrom('jobs').where('id', '=', id).execute();
    return job;
  }
}

function toRow(job: JobRecord): JobTable {
  return {
    id: job.id, kind: job.kind, owner_scope: job.ownerScope, tenant_id: job.tenantId, key_id: job.keyId, request_id: job.requestId,
    public_model: job.publicModel, provider: job.provider, target_model: job.targetModel, provider_ref: job.providerRef,
    status: job.status, progress: job.progress, request_json: JSON.stringify(job.request),
    result_json: job.result === null ? null : JSON.stringify(job.result), error_code: job.errorCode, error_message: job.errorMessage,
    created_at: job.createdAt, updated_at: job.updatedAt, completed_at: job.completedAt, expires_at: job.expiresAt,
    next_poll_at: job.nextPollAt, poll_attempts: job.pollAttempts, lease_owner: job.leaseOwner, lease_until: job.leaseUntil,
    reserved_usd: job.reservedUsd, cost_usd: job.costUsd, webhook_url: job.webhookUrl, webhook_secret_ref: job.webhookSecretRef,
    metadata: JSON.stringify(job.metadata),
  };
}

function fromRow(row: unknown): JobRecord {
  const parsed = rowSchema.parse(row);
  return {
    id: parsed.id, kind: parsed.kind, ownerScope: parsed.owner_scope, tenantId: parsed.tenant_id, keyId: parsed.key_id,
    requestId: parsed.request_id, publicModel: parsed.public_model, provider: parsed.provider, targetModel: parsed.target_model,
    providerRef: parsed.provider_ref, status: parsed.status, progress: parsed.progress,
    request: jsonObject.parse(JSON.parse(parsed.request_json)),
    result: parsed.result_json === null ? null : jsonObject.parse(JSON.parse(parsed.result_json)),
    errorCode: parsed.error_code, errorMessage: parsed.error_message, createdAt: parsed.created_at, updatedAt: parsed.updated_at,
    completedAt: parsed.completed_at, expiresAt: parsed.expires_at, nextPollAt: parsed.next_poll_at,
    pollAttempts: parsed.poll_attempts, leaseOwner: parsed.lease_owner, leaseUntil: parsed.lease_until,
    reservedUsd: parsed.reserved_usd, costUsd: parsed.cost_usd, webhookUrl: parsed.webhook_url,
    webhookSecretRef: parsed.webhook_secret_ref, metadata: z.record(z.string(), z.string()).parse(JSON.parse(parsed.metadata)),
  };
}
