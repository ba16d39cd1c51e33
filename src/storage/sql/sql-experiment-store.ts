import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { ExperimentConflictError } from '../experiment-store.js';
import type {
  DefinitionChange, ExperimentEvent, FeedbackRecord, ExperimentPhase, ExperimentRecord, ExperimentStatus, ExperimentStore,
  ExperimentTargetKind, ExperimentUnit, ExperimentVariant, StatusChange,
} from '../experiment-store.js';
import type { DatabaseSchema, ExperimentTable } from './database-schema.js';

const variantSchema = z.object({
  name: z.string(),
  weight: z.number(),
  model: z.string().optional(),
  promptVersion: z.number().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
const variantsSchema = z.array(variantSchema);
const settingsSchema = z.object({
  unit: z.enum(['user', 'session', 'key', 'request']),
  primaryMetric: z.string(),
  guardrails: z.array(z.string()),
  minSamplesPerVariant: z.number(),
  confidence: z.number(),
  description: z.string(),
});
const detailsSchema = z.record(z.string(), z.unknown());
const STATUSES: readonly ExperimentStatus[] = ['draft', 'running', 'paused', 'stopped'];
const TARGET_KINDS: readonly ExperimentTargetKind[] = ['model', 'prompt', 'service'];
const EVENT_TYPES: readonly ExperimentEvent['type'][] = ['created', 'updated', 'started', 'paused', 'resumed', 'stopped', 'phase_started', 'promoted', 'deleted'];

type Executor = Kysely<DatabaseSchema> | Transaction<DatabaseSchema>;

/**
 * Experiments in SQLite or Postgres. Settings and variants are JSON text; each phase's variants
 * are kept in experiment_phases, frozen once the next phase starts. A partial unique index on
 * (target_kind, target_name) where status = 'running' makes "one running experiment per target"
 * hold even between two instances racing to start.
 */
export class SqlExperimentStore implements ExperimentStore {
  private readonly database: Kysely<DatabaseSchema>;

  constructor(database: Kysely<DatabaseSchema>) {
    this.database = database;
  }

  async create(record: ExperimentRecord, actor: string): Promise<ExperimentRecord> {
    return this.guard(async () => this.database.transaction().execute(async (transaction) => {
      const existing = await transaction.selectFrom('experiments').select('id').where('name', '=', record.name).executeTakeFirst();
      if (existing !== undefined) throw new ExperimentConflictError('name_taken', `An experiment named ${record.name} exists.`);
      if (record.status === 'running') await assertTargetFree(transaction, record);
      await transaction.insertInto('experiments').values(toRow(record)).execute();
      await transaction.insertInto('experiment_phases').values({
        experiment_id: record.id, phase: record.phase, variants: JSON.stringify(record.variants), started_at: record.createdAt,
      }).execute();
      await insertEvent(transaction, { experimentId: record.id, type: 'created', at: record.createdAt, actor, phase: record.phase, details: { status: record.status } });
      return record;
    }));
  }

  async get(name: string): Promise<ExperimentRecord | null> {
    const row = await this.database.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async list(): Promise<ExperimentRecord[]> {
    const rows = await this.database.selectFrom('experiments').selectAll().orderBy('name').execute();
    return rows.map(fromRow);
  }

  async listRunning(): Promise<ExperimentRecord[]> {
    const rows = await this.database.selectFrom('experiments').selectAll().where('status', '=', 'running').orderBy('name').execute();
    return rows.map(fromRow);
  }

  async changeStatus(name: string, change: StatusChange): Promise<ExperimentRecord> {
    return this.guard(async () => this.database.transaction().execute(async (transaction) => {
      const record = await requireRecord(transaction, name);
      if (!change.from.includes(record.status)) throw new ExperimentConflictError('status', `Experiment ${name} is ${record.status}.`);
      if (change.to === 'running') await assertTargetFree(transaction, record);
      const next: ExperimentRecord = {
        ...record,
        status: change.to,
        updatedAt: change.at,
        startedAt: change.to === 'running' ? record.startedAt ?? change.at : record.startedAt,
        stoppedAt: change.to === 'stopped' ? change.at : record.stoppedAt,
        winner: change.winner === undefined ? record.winner : change.winner,
      };
      await transaction.updateTable('experiments').set({
        status: next.status, updated_at: next.updatedAt, started_at: next.startedAt, stopped_at: next.stoppedAt, winner: next.winner,
      }).where('id', '=', record.id).execute();
      await insertEvent(transaction, { ...change.event, experimentId: record.id, at: change.at, phase: record.phase });
      return next;
    }));
  }

  async changeDefinition(name: string, change: DefinitionChange): Promise<ExperimentRecord> {
    return this.database.transaction().execute(async (transaction) => {
      const record = await requireRecord(transaction, name);
      const next: ExperimentRecord = {
        ...record,
        ...change.settings,
        variants: change.variants,
        updatedAt: change.at,
        phase: change.newPhase ? record.phase + 1 : record.phase,
      };
      await transaction.updateTable('experiments').set({
        settings: JSON.stringify(change.settings), variants: JSON.stringify(change.variants), phase: next.phase, updated_at: change.at,
      }).where('id', '=', record.id).execute();
      if (change.newPhase) {
        await transaction.insertInto('experiment_phases').values({
          experiment_id: record.id, phase: next.phase, variants: JSON.stringify(change.variants), started_at: change.at,
        }).execute();
      } else {
        await transaction.updateTable('experiment_phases').set({ variants: JSON.stringify(change.variants) })
          .where('experiment_id', '=', record.id).where('phase', '=', record.phase).execute();
      }
      await insertEvent(transaction, { ...change.event, experimentId: record.id, at: change.at, phase: next.phase });
      return next;
    });
  }

  async record(name: string, event: Omit<ExperimentEvent, 'experimentId' | 'phase'>): Promise<void> {
    const record = await requireRecord(this.database, name);
    await insertEvent(this.database, { ...event, experimentId: record.id, phase: record.phase });
  }

  async phases(name: string): Promise<ExperimentPhase[]> {
    const record = await requireRecord(this.database, name);
    const rows = await this.database.selectFrom('experiment_phases').selectAll().where('experiment_id', '=', record.id).orderBy('phase').execute();
    return rows.map((row) => ({ phase: Number(row.phase), variants: parseVariants(row.variants), startedAt: Number(row.started_at) }));
  }

  async events(name: string): Promise<ExperimentEvent[]> {
    const record = await requireRecord(this.database, name);
    const rows = await this.database.selectFrom('experiment_events').selectAll().where('experiment_id', '=', record.id).orderBy('id').execute();
    return rows.map((row) => ({
      experimentId: row.experiment_id,
      type: oneOf(EVENT_TYPES, row.type),
      at: Number(row.at),
      actor: row.actor,
      phase: Number(row.phase),
      details: detailsSchema.parse(JSON.parse(row.details)),
    }));
  }

  async delete(name: string): Promise<boolean> {
    return this.database.transaction().execute(async (transaction) => {
      const row = await transaction.selectFrom('experiments').select('id').where('name', '=', name).executeTakeFirst();
      if (row === undefined) return false;
      await transaction.deleteFrom('experiment_events').where('experiment_id', '=', row.id).execute();
      await transaction.deleteFrom('experiment_phases').where('experiment_id', '=', row.id).execute();
      await transaction.deleteFrom('experiments').where('id', '=', row.id).execute();
      return true;
    });
  }

  async putFeedback(record: FeedbackRecord): Promise<void> {
    await this.database.insertInto('request_feedback').values({
      request_id: record.requestId, metric: record.metric, value: record.value, key_id: record.keyId, created_at: record.createdAt,
    }).onConflict((conflict) => conflict.columns(['request_id', 'metric']).doUpdateSet({
      value: record.value, key_id: record.keyId, created_at: record.createdAt,
    })).execute();
  }

  async feedback(metric: string, since: number): Promise<FeedbackRecord[]> {
    const rows = await this.database.selectFrom('request_feedback').selectAll().where('metric', '=', metric).where('created_at', '>=', since).execute();
    return rows.map((row) => ({
      requestId: row.request_id, metric: row.metric, value: Number(row.value), keyId: row.key_id, createdAt: Number(row.created_at),
    }));
  }

  /** A unique-index violation is the other instance winning the race for the target. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ExperimentConflictError) throw error;
      if (isUniqueViolation(error)) throw new ExperimentConflictError('target_busy', 'Another experiment is already running on this target.');
      throw error;
    }
  }
}

async function requireRecord(executor: Executor, name: string): Promise<ExperimentRecord> {
  const row = await executor.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
  if (row === undefined) throw new ExperimentConflictError('not_found', `No experiment named ${name}.`);
  return fromRow(row);
}

async function assertTargetFree(executor: Executor, record: ExperimentRecord): Promise<void> {
  const other = await executor.selectFrom('experiments').select('name').where('status', '=', 'running')
    .where('target_kind', '=', record.targetKind).where('target_name', '=', record.targetName).where('id', '!=', record.id)
    .executeTakeFirst();
  if (other !== undefined) {
    throw new ExperimentConflictError('target_busy', `Experiment ${other.name} is already running on ${record.targetKind} ${record.targetName}.`);
  }
}

async function insertEvent(executor: Executor, event: ExperimentEvent): Promise<void> {
  await executor.insertInto('experiment_events').values({
    experiment_id: event.experimentId, type: event.type, at: event.at, actor: event.actor, phase: event.phase, details: JSON.stringify(event.details),
  }).execute();
}

function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error ? error.code : undefined;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function toRow(record: ExperimentRecord): ExperimentTable {
  const settings = {
    unit: record.unit, primaryMetric: record.primaryMetric, guardrails: record.guardrails,
    minSamplesPerVariant: record.minSamplesPerVariant, confidence: record.confidence, description: record.description,
  };
  return {
    id: record.id, name: record.name, target_kind: record.targetKind, target_name: record.targetName, status: record.status,
    phase: record.phase, salt: record.salt, settings: JSON.stringify(settings), variants: JSON.stringify(record.variants),
    source: record.source, created_at: record.createdAt, updated_at: record.updatedAt, started_at: record.startedAt,
    stopped_at: record.stoppedAt, winner: record.winner,
  };
}

function fromRow(row: ExperimentTable): ExperimentRecord {
  const settings = settingsSchema.parse(JSON.parse(row.settings));
  return {
    id: row.id,
    name: row.name,
    targetKind: oneOf(TARGET_KINDS, row.target_kind),
    targetName: row.target_name,
    status: oneOf(STATUSES, row.status),
    phase: Number(row.phase),
    salt: row.salt,
    ...settings,
    unit: settings.unit satisfies ExperimentUnit,
    variants: parseVariants(row.variants),
    source: row.source === 'config' ? 'config' : 'api',
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    startedAt: row.started_at === null ? null : Number(row.started_at),
    stoppedAt: row.stopped_at === null ? null : Number(row.stopped_at),
    winner: row.winner,
  };
}

function parseVariants(text: string): ExperimentVariant[] {
  return variantsSchema.parse(JSON.parse(text));
}

function oneOf<T extends string>(values: readonly T[], value: string): T {
  const found = values.find((candidate) => candidate === value);
  if (found === undefined) throw new Error(`unexpected stored value ${value}`);
  return found;
}
