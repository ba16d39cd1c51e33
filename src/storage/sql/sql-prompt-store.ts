import { sql } from 'kysely';
import type { Kysely, RawBuilder, Selectable, Transaction } from 'kysely';
import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import type {
  NewPromptVersion, PromptLabelEvent, PromptLabelRecord, PromptListQuery, PromptRecord, PromptStatsQuery, PromptStore,
  PromptTemplate, PromptUsageStats, PromptVersionRecord,
} from '../prompt-store.js';
import { jsonOutcomeSelections, toJsonOutcomeRates } from './json-outcome-figures.js';
import type { DatabaseSchema, PromptLabelEventTable, PromptTable, PromptVersionTable, SqlDialectName } from './database-schema.js';

const jsonObject = z.record(z.string(), z.unknown());
const templateSchema: z.ZodType<PromptTemplate> = z.union([
  z.string(),
  z.array(z.object({ role: z.enum(['system', 'developer', 'user', 'assistant']), content: z.string() })),
]);
const tagsSchema = z.array(z.string());
const number = z.coerce.number();
const nullableNumber = z.union([z.null(), z.coerce.number()]);

/** The global tenant's key in the tenant_id column. */
const GLOBAL = '';

/** The prompt registry in SQLite or Postgres (the same Kysely code and migration for both). */
export class SqlPromptStore implements PromptStore {
  private readonly database: Kysely<DatabaseSchema>;
  private readonly dialect: SqlDialectName;

  constructor(database: Kysely<DatabaseSchema>, dialect: SqlDialectName) {
    this.database = database;
    this.dialect = dialect;
  }

  async createPrompt(prompt: PromptRecord, first: NewPromptVersion, labels: readonly string[]): Promise<PromptVersionRecord> {
    return this.database.transaction().execute(async (transaction) => {
      const existing = await transaction.selectFrom('prompts').select('id')
        .where('tenant_id', '=', prompt.tenantId ?? GLOBAL).where('name', '=', prompt.name).executeTakeFirst();
      if (existing !== undefined) throw promptExists(prompt.name);
      try {
        await transaction.insertInto('prompts').values(toPromptRow(prompt)).execute();
      } catch (error) {
        // A concurrent create of the same name lost the race on the unique index.
        throw promptExists(prompt.name, error);
      }
      return this.insertVersion(transaction, prompt.id, 1, first, labels);
    });
  }

  async getPrompt(tenantId: string | null, name: string): Promise<PromptRecord | null> {
    const row = await this.database.selectFrom('prompts').selectAll()
      .where('tenant_id', '=', tenantId ?? GLOBAL).where('name', '=', name).executeTakeFirst();
    return row === undefined ? null : fromPromptRow(row);
  }

  async listPrompts(query: PromptListQuery): Promise<{ records: PromptRecord[]; nextCursor: string | null }> {
    let select = this.database.selectFrom('prompts').selectAll().orderBy('tenant_id').orderBy('name').limit(query.limit + 1);
    if (query.tenantId !== undefined) select = select.where('tenant_id', '=', query.tenantId ?? GLOBAL);
    if (query.query !== undefined && query.query !== '') {
      const pattern = `%${query.query.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
      select = select.where((builder) => builder.or([
        builder(sql`lower(name)`, 'like', sql`${pattern} ESCAPE '\\'`),
        builder(sql`lower(description)`, 'like', sql`${pattern} ESCAPE '\\'`),
      ]));
    }
    if (query.tag !== undefined) select = select.where('tags', 'like', `%${JSON.stringify(query.tag)}%`);
    if (query.cursor !== undefined) {
      const [tenant, name] = decodeCursor(query.cursor);
      select = select.where((builder) => builder.or([
        builder('tenant_id', '>', tenant),
        builder.and([builder('tenant_id', '=', tenant), builder('name', '>', name)]),
      ]));
    }
    const rows = await select.execute();
    // The LIKE on the JSON text is a coarse filter; the exact tag check happens here.
    const records = rows.slice(0, query.limit).map(fromPromptRow)
      .filter((record) => query.tag === undefined || record.tags.includes(query.tag));
    const last = rows[Math.min(rows.length, query.limit) - 1];
    return { records, nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.tenant_id, last.name) : null };
  }

  async describePrompt(promptId: string, changes: { description?: string; tags?: string[]; updatedAt: number }): Promise<void> {
    await this.database.updateTable('prompts').set({
      updated_at: changes.updatedAt,
      ...(changes.description === undefined ? {} : { description: changes.description }),
      ...(changes.tags === undefined ? {} : { tags: JSON.stringify(changes.tags) }),
    }).where('id', '=', promptId).execute();
  }

  async addVersion(promptId: string, version: NewPromptVersion, labels: readonly string[]): Promise<PromptVersionRecord> {
    return this.database.transaction().execute(async (transaction) => {
      await this.lockPrompt(transaction, promptId);
      const latest = await transaction.selectFrom('prompt_versions').select(sql<number | null>`max(version)`.as('latest'))
        .where('prompt_id', '=', promptId).executeTakeFirst();
      const next = (nullableNumber.parse(latest?.latest ?? null) ?? 0) + 1;
      return this.insertVersion(transaction, promptId, next, version, labels);
    });
  }

  async getVersion(promptId: string, version: number): Promise<PromptVersionRecord | null> {
    const row = await this.database.selectFrom('prompt_versions').selectAll()
      .where('prompt_id', '=', promptId).where('version', '=', version).executeTakeFirst();
    return row === undefined ? null : fromVersionRow(row);
  }

  async latestVersion(promptId: string): Promise<PromptVersionRecord | null> {
    const row = await this.database.selectFrom('prompt_versions').selectAll()
      .where('prompt_id', '=', promptId).orderBy('version', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? null : fromVersionRow(row);
  }

  async findVersionByHash(promptId: string, contentHash: string): Promise<PromptVersionRecord | null> {
    const row = await this.database.selectFrom('prompt_versions').selectAll()
      .where('prompt_id', '=', promptId).where('content_hash', '=', contentHash)
      .orderBy('version', 'desc').limit(1).executeTakeFirst();
    return row === undefined ? null : fromVersionRow(row);
  }

  async listVersions(promptId: string, page: { limit: number; before?: number | undefined }): Promise<PromptVersionRecord[]> {
    let select = this.database.selectFrom('prompt_versions').selectAll()
      .where('prompt_id', '=', promptId).orderBy('version', 'desc').limit(page.limit);
    if (page.before !== undefined) select = select.where('version', '<', page.before);
    return (await select.execute()).map(fromVersionRow);
  }

  async labels(promptId: string): Promise<PromptLabelRecord[]> {
    const rows = await this.database.selectFrom('prompt_labels').selectAll().where('prompt_id', '=', promptId).orderBy('label').execute();
    return rows.map((row) => ({
      label: row.label, version: number.parse(row.version), updatedBy: row.updated_by, updatedAt: number.parse(row.updated_at),
    }));
  }

  async moveLabel(
    promptId: string, move: { label: string; version: number; actor: string; reason: string | null; at: number },
  ): Promise<PromptLabelEvent | null> {
    return this.database.transaction().execute(async (transaction) => {
      await this.lockPrompt(transaction, promptId);
      const target = await transaction.selectFrom('prompt_versions').select('version')
        .where('prompt_id', '=', promptId).where('version', '=', move.version).executeTakeFirst();
      if (target === undefined) throw new GatewayError('not_found', `This prompt has no version ${move.version}.`, { param: 'version' });
      return this.writeLabel(transaction, promptId, move);
    });
  }

  async labelHistory(promptId: string, label: string | undefined, limit: number): Promise<PromptLabelEvent[]> {
    let select = this.database.selectFrom('prompt_label_events').selectAll()
      .where('prompt_id', '=', promptId).orderBy('id', 'desc').limit(limit);
    if (label !== undefined) select = select.where('label', '=', label);
    return (await select.execute()).map(fromEventRow);
  }

  async usageStats(query: PromptStatsQuery): Promise<PromptUsageStats[]> {
    const group = query.by === 'version' ? sql<string | null>`prompt_version` : sql<string | null>`prompt_label`;
    let select = this.database.selectFrom('request_logs')
      .select([
        group.as('group_value'),
        sql<number>`count(*)`.as('requests'),
        sql<number>`sum(CASE WHEN status_code >= 200 AND status_code < 300 THEN 1 ELSE 0 END)`.as('successes'),
        this.percentile('duration_ms', 0.5).as('latency_p50'),
        this.percentile('duration_ms', 0.95).as('latency_p95'),
        sql<number | null>`avg(duration_ms)`.as('latency_mean'),
        this.percentile('ttft_ms', 0.5).as('ttft_p50'),
        this.percentile('ttft_ms', 0.95).as('ttft_p95'),
        sql<number>`avg(prompt_tokens)`.as('prompt_tokens'),
        sql<number>`avg(completion_tokens)`.as('completion_tokens'),
        sql<number>`avg(cost_usd)`.as('mean_cost'),
        sql<number>`sum(cost_usd)`.as('total_cost'),
        sql<number>`sum(CASE WHEN cache_status = 'hit' THEN 1 ELSE 0 END)`.as('cache_hits'),
        ...jsonOutcomeSelections(),
        sql<number>`min(started_at)`.as('first_used'),
        sql<number>`max(started_at)`.as('last_used'),
      ])
      .where('prompt_name', '=', query.name)
      .where('started_at', '>=', query.since)
      .where('started_at', '<', query.until)
      .groupBy(group)
      .orderBy(sql`max(started_at)`, 'desc');
    if (query.tenantId !== undefined) {
      select = query.tenantId === null ? select.where('tenant_id', 'is', null) : select.where('tenant_id', '=', query.tenantId);
    }
    const rows = await select.execute();
    return rows.map((row) => {
      const requests = number.parse(row.requests);
      return {
        group: row.group_value === null ? null : String(row.group_value),
        requests,
        successRate: number.parse(row.successes) / requests,
        latencyMs: {
          p50: nullableNumber.parse(row.latency_p50), p95: nullableNumber.parse(row.latency_p95), mean: nullableNumber.parse(row.latency_mean),
        },
        timeToFirstTokenMs: { p50: nullableNumber.parse(row.ttft_p50), p95: nullableNumber.parse(row.ttft_p95) },
        meanPromptTokens: number.parse(row.prompt_tokens),
        meanCompletionTokens: number.parse(row.completion_tokens),
        meanCostUsd: roundCost(number.parse(row.mean_cost)),
        totalCostUsd: roundCost(number.parse(row.total_cost)),
        cacheHitRate: number.parse(row.cache_hits) / requests,
        ...jsonRates(toJsonOutcomeRates({
          json_checked: nullableNumber.parse(row.json_checked), json_valid: nullableNumber.parse(row.json_valid),
          json_repaired: nullableNumber.parse(row.json_repaired), reask_runs: nullableNumber.parse(row.reask_runs), reasked: nullableNumber.parse(row.reasked),
        })),
        firstUsedAt: number.parse(row.first_used),
        lastUsedAt: number.parse(row.last_used),
      };
    });
  }

  private percentile(column: 'duration_ms' | 'ttft_ms', fraction: number): RawBuilder<number | null> {
    return this.dialect === 'postgres'
      ? sql<number | null>`percentile_cont(${sql.lit(fraction)}) WITHIN GROUP (ORDER BY ${sql.ref(column)})`
      : sql<number | null>`percentile_cont(${sql.ref(column)}, ${sql.lit(fraction)})`;
  }

  /**
   * Serialises writers of one prompt on Postgres (a row lock held to the end of the transaction),
   * so version numbers and label events never interleave. SQLite transactions are serial already.
   */
  private async lockPrompt(transaction: Transaction<DatabaseSchema>, promptId: string): Promise<void> {
    let select = transaction.selectFrom('prompts').select('id').where('id', '=', promptId);
    if (this.dialect === 'postgres') select = select.forUpdate();
    const found = await select.executeTakeFirst();
    if (found === undefined) throw new GatewayError('not_found', 'No such prompt.');
  }

  private async insertVersion(
    transaction: Transaction<DatabaseSchema>, promptId: string, version: number, draft: NewPromptVersion, labels: readonly string[],
  ): Promise<PromptVersionRecord> {
    const record: PromptVersionRecord = { ...draft, promptId, version };
    await transaction.insertInto('prompt_versions').values(toVersionRow(record)).execute();
    for (const label of labels) {
      await this.writeLabel(transaction, promptId, { label, version, actor: draft.createdBy, reason: draft.commitMessage || null, at: draft.createdAt });
    }
    return record;
  }

  private async writeLabel(
    transaction: Transaction<DatabaseSchema>, promptId: string,
    move: { label: string; version: number; actor: string; reason: string | null; at: number },
  ): Promise<PromptLabelEvent | null> {
    const current = await transaction.selectFrom('prompt_labels').select('version')
      .where('prompt_id', '=', promptId).where('label', '=', move.label).executeTakeFirst();
    const fromVersion = current === undefined ? null : number.parse(current.version);
    if (fromVersion === move.version) return null;
    if (current === undefined) {
      await transaction.insertInto('prompt_labels').values({
        prompt_id: promptId, label: move.label, version: move.version, updated_by: move.actor, updated_at: move.at,
      }).execute();
    } else {
      await transaction.updateTable('prompt_labels').set({ version: move.version, updated_by: move.actor, updated_at: move.at })
        .where('prompt_id', '=', promptId).where('label', '=', move.label).execute();
    }
    const event: PromptLabelEvent = {
      label: move.label, fromVersion, toVersion: move.version, actor: move.actor, reason: move.reason, at: move.at,
    };
    await transaction.insertInto('prompt_label_events').values({
      prompt_id: promptId, label: move.label, from_version: fromVersion, to_version: move.version,
      actor: move.actor, reason: move.reason, at: move.at,
    }).execute();
    return event;
  }
}

function promptExists(name: string, cause?: unknown): GatewayError {
  return new GatewayError('invalid_request', `A prompt named ${name} already exists; add a version to it instead.`, {
    param: 'name', status: 409, cause,
  });
}

function toPromptRow(record: PromptRecord): PromptTable {
  return {
    id: record.id,
    tenant_id: record.tenantId ?? GLOBAL,
    name: record.name,
    type: record.type,
    description: record.description,
    tags: JSON.stringify(record.tags),
    source: record.source,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

function fromPromptRow(row: Selectable<PromptTable>): PromptRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id === GLOBAL ? null : row.tenant_id,
    name: row.name,
    type: row.type === 'chat' ? 'chat' : 'text',
    description: row.description,
    tags: tagsSchema.parse(JSON.parse(row.tags)),
    source: row.source === 'config' ? 'config' : 'api',
    createdAt: number.parse(row.created_at),
    updatedAt: number.parse(row.updated_at),
  };
}

function toVersionRow(record: PromptVersionRecord): PromptVersionTable {
  return {
    prompt_id: record.promptId,
    version: record.version,
    template: JSON.stringify(record.template),
    variables: record.variables === null ? null : JSON.stringify(record.variables),
    model_config: JSON.stringify(record.modelConfig),
    output_schema: record.outputSchema === null ? null : JSON.stringify(record.outputSchema),
    commit_message: record.commitMessage,
    content_hash: record.contentHash,
    created_by: record.createdBy,
    created_at: record.createdAt,
  };
}

function fromVersionRow(row: Selectable<PromptVersionTable>): PromptVersionRecord {
  return {
    promptId: row.prompt_id,
    version: number.parse(row.version),
    template: templateSchema.parse(JSON.parse(row.template)),
    variables: row.variables === null ? null : jsonObject.parse(JSON.parse(row.variables)),
    modelConfig: jsonObject.parse(JSON.parse(row.model_config)),
    outputSchema: row.output_schema === null ? null : jsonObject.parse(JSON.parse(row.output_schema)),
    commitMessage: row.commit_message,
    contentHash: row.content_hash,
    createdBy: row.created_by,
    createdAt: number.parse(row.created_at),
  };
}

function fromEventRow(row: Selectable<PromptLabelEventTable>): PromptLabelEvent {
  return {
    label: row.label,
    fromVersion: nullableNumber.parse(row.from_version),
    toVersion: number.parse(row.to_version),
    actor: row.actor,
    reason: row.reason,
    at: number.parse(row.at),
  };
}

/** Sums of floating costs, rounded to a millionth of a cent so both backends print the same. */
function roundCost(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}

function encodeCursor(tenant: string, name: string): string {
  return Buffer.from(JSON.stringify([tenant, name])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const parsed = z.tuple([z.string(), z.string()]).safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // falls through to the error below
  }
  throw new GatewayError('invalid_request', 'cursor is not one this API returned', { param: 'cursor' });
}

function jsonRates(rates: ReturnType<typeof toJsonOutcomeRates>): Pick<PromptUsageStats, 'jsonRepairRate' | 'reaskRate'> {
  return { jsonRepairRate: rates.jsonRepairRate, reaskRate: rates.reaskRate };
}
