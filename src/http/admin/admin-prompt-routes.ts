import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import { adminScope } from '../../policies/index.js';
import { LABEL_NAME, promptDefinitionSchema, promptVersionInputSchema } from '../../services/index.js';
import type { PromptLabelEvent, PromptRegistry, PromptSummary, PromptUsageStats, PromptVersionRecord } from '../../services/index.js';
import { parseBody } from '../parse-body.js';
import { parseQuery, parseWindow } from './analytics-query.js';

export interface AdminPromptRoutesOptions {
  prompts: PromptRegistry;
  clock?: () => number;
}

const optionalText = z.string().min(1).optional();
const versionNumber = z.coerce.number().int().positive();
const selectorSchema = z.object({ label: optionalText, version: versionNumber.optional(), tenant: optionalText });
const listSchema = z.object({
  q: optionalText, tag: optionalText, tenant: optionalText, cursor: optionalText,
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
const versionsSchema = z.object({ tenant: optionalText, before: versionNumber.optional(), limit: z.coerce.number().int().min(1).max(100).default(50) });
const historySchema = z.object({ tenant: optionalText, limit: z.coerce.number().int().min(1).max(1000).default(100) });
const statsSchema = z.object({ tenant: optionalText, since: optionalText, until: optionalText, by: z.enum(['version', 'label']).default('version') });
const tenantSchema = z.object({ tenant: optionalText });
const addVersionSchema = promptVersionInputSchema.extend({
  /** Content equal to an existing version writes nothing; the labels move to that version. */
  if_changed: z.boolean().default(false),
});
const moveSchema = z.strictObject({ version: z.int().positive(), reason: z.string().max(2000).optional() });
const renderSchema = z.strictObject({
  label: z.string().min(1).optional(),
  version: z.int().positive().optional(),
  variables: z.record(z.string(), z.unknown()).default({}),
});

type NameParams = { Params: { name: string } };

/**
 * `/admin/api/prompts`: the registry. The master key works on global prompts, or a tenant's with
 * `tenant` (query, or the body of a create); a tenant admin only ever on its own tenant's.
 */
export async function adminPromptRoutes(app: FastifyInstance, options: AdminPromptRoutesOptions): Promise<void> {
  const { prompts } = options;
  const now = options.clock ?? Date.now;

  app.get('/admin/api/prompts', async (request) => {
    const query = parseQuery(listSchema, request.query);
    const scope = adminScope(principalOf(request));
    // The master key lists every tenant's prompts unless it names one.
    const tenantId = scope.tenantId === undefined ? query.tenant : tenantOf(request, query.tenant);
    const page = await prompts.list({ tenantId, query: query.q, tag: query.tag, limit: query.limit, cursor: query.cursor });
    return { data: page.data.map(toWirePrompt), next_cursor: page.nextCursor };
  });

  app.post('/admin/api/prompts', async (request, reply) => {
    const body = parseBody(promptDefinitionSchema, request.body);
    const tenant = tenantOf(request, body.tenant ?? undefined);
    const created = await prompts.create(actorOf(request), { ...body, tenant });
    return reply.code(201).send({ ...toWirePrompt(created), version: toWireVersion(created.version) });
  });

  /** `sluice prompts push`: create, or add a version only when the content changed; labels applied. */
  app.post('/admin/api/prompts/push', async (request) => {
    const body = parseBody(promptDefinitionSchema, request.body);
    const tenant = tenantOf(request, body.tenant ?? undefined);
    const result = await prompts.sync(actorOf(request), { ...body, tenant }, 'api');
    return { name: body.name, version: result.version, created: result.created, label_moves: result.moves.map(toWireEvent) };
  });

  app.get<NameParams>('/admin/api/prompts/:name', async (request) => {
    const query = parseQuery(selectorSchema, request.query);
    if (query.label !== undefined && query.version !== undefined) {
      throw new GatewayError('invalid_request', 'Give label or version, not both.', { param: 'label' });
    }
    const found = await prompts.get(tenantOf(request, query.tenant), request.params.name, query);
    return { ...toWirePrompt(found), version: toWireVersion(found.version) };
  });

  app.get<NameParams>('/admin/api/prompts/:name/versions', async (request) => {
    const query = parseQuery(versionsSchema, request.query);
    const versions = await prompts.listVersions(tenantOf(request, query.tenant), request.params.name, { limit: query.limit, before: query.before });
    const last = versions[versions.length - 1];
    return { data: versions.map(toWireVersion), next_cursor: versions.length === query.limit && last !== undefined && last.version > 1 ? String(last.version) : null };
  });

  app.post<NameParams>('/admin/api/prompts/:name/versions', async (request, reply) => {
    const body = parseBody(addVersionSchema, request.body);
    const { tenant } = parseQuery(tenantSchema, request.query);
    const result = await prompts.addVersion(actorOf(request), tenantOf(request, tenant), request.params.name, body, { ifChanged: body.if_changed });
    return reply.code(result.created ? 201 : 200).send({
      ...toWireVersion(result.version), created: result.created, label_moves: result.moves.map(toWireEvent),
    });
  });

  app.get<{ Params: { name: string; version: string } }>('/admin/api/prompts/:name/versions/:version', async (request) => {
    const { tenant } = parseQuery(tenantSchema, request.query);
    const found = await prompts.get(tenantOf(request, tenant), request.params.name, { version: parseVersion(request.params.version) });
    return toWireVersion(found.version);
  });

  app.get<{ Params: { name: string; from: string; to: string } }>('/admin/api/prompts/:name/versions/:from/diff/:to', async (request) => {
    const { tenant } = parseQuery(tenantSchema, request.query);
    return prompts.diff(tenantOf(request, tenant), request.params.name, parseVersion(request.params.from), parseVersion(request.params.to));
  });

  app.put<{ Params: { name: string; label: string } }>('/admin/api/prompts/:name/labels/:label', async (request) => {
    const body = parseBody(moveSchema, request.body);
    const { tenant } = parseQuery(tenantSchema, request.query);
    const label = request.params.label;
    if (!LABEL_NAME.test(label)) {
      throw new GatewayError('invalid_request', 'A label is letters, digits, "_", "." or "-"; `latest` is derived and cannot be moved.', { param: 'label' });
    }
    const move = await prompts.moveLabel(actorOf(request), tenantOf(request, tenant), request.params.name, label, body.version, body.reason ?? null);
    return { label, version: body.version, moved: move !== null, event: move === null ? null : toWireEvent(move) };
  });

  app.get<{ Params: { name: string; label: string } }>('/admin/api/prompts/:name/labels/:label/history', async (request) => {
    const query = parseQuery(historySchema, request.query);
    const events = await prompts.labelHistory(tenantOf(request, query.tenant), request.params.name, request.params.label, query.limit);
    return { data: events.map(toWireEvent), next_cursor: null };
  });

  app.get<NameParams>('/admin/api/prompts/:name/history', async (request) => {
    const query = parseQuery(historySchema, request.query);
    const events = await prompts.labelHistory(tenantOf(request, query.tenant), request.params.name, undefined, query.limit);
    return { data: events.map(toWireEvent), next_cursor: null };
  });

  app.post<NameParams>('/admin/api/prompts/:name/render', async (request) => {
    const body = parseBody(renderSchema, request.body);
    if (body.label !== undefined && body.version !== undefined) {
      throw new GatewayError('invalid_request', 'Give label or version, not both.', { param: 'label' });
    }
    const { tenant } = parseQuery(tenantSchema, request.query);
    return prompts.render(tenantOf(request, tenant), request.params.name, body, body.variables);
  });

  app.get<NameParams>('/admin/api/prompts/:name/stats', async (request) => {
    const query = parseQuery(statsSchema, request.query);
    const window = parseWindow(query.since, query.until, now());
    const groups = await prompts.stats(tenantOf(request, query.tenant), request.params.name, window, query.by);
    return {
      name: request.params.name,
      since: new Date(window.since).toISOString(),
      until: new Date(window.until).toISOString(),
      by: query.by,
      data: groups.map(toWireStats),
    };
  });
}

function principalOf(request: FastifyRequest) {
  const principal = request.principal;
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  return principal;
}

/** The tenant a call works on: a tenant admin's own (asking for another is refused), else the one named, else global. */
function tenantOf(request: FastifyRequest, requested: string | undefined): string | null {
  const scope = adminScope(principalOf(request));
  if (scope.tenantId === undefined) return requested ?? null;
  if (requested !== undefined && requested !== scope.tenantId) {
    throw new GatewayError('permission_denied', 'A tenant admin works only on its own tenant\'s prompts.');
  }
  return scope.tenantId;
}

function actorOf(request: FastifyRequest): string {
  const principal = principalOf(request);
  adminScope(principal);
  return principal.keyId === null ? principal.label : `${principal.label} (${principal.keyId})`;
}

function parseVersion(text: string): number {
  const parsed = versionNumber.safeParse(text.replace(/^v/, ''));
  if (!parsed.success) throw new GatewayError('invalid_request', 'A version is a number: 1, 2, 3…', { param: 'version' });
  return parsed.data;
}

function toWirePrompt(summary: PromptSummary): Record<string, unknown> {
  const { prompt } = summary;
  return {
    name: prompt.name,
    tenant: prompt.tenantId,
    type: prompt.type,
    description: prompt.description,
    tags: prompt.tags,
    source: prompt.source,
    labels: summary.labels,
    latest_version: summary.latestVersion,
    created_at: new Date(prompt.createdAt).toISOString(),
    updated_at: new Date(prompt.updatedAt).toISOString(),
  };
}

function toWireVersion(version: PromptVersionRecord): Record<string, unknown> {
  return {
    version: version.version,
    template: version.template,
    model_config: version.modelConfig,
    variables: version.variables,
    output_schema: version.outputSchema,
    commit_message: version.commitMessage,
    content_hash: version.contentHash,
    created_by: version.createdBy,
    created_at: new Date(version.createdAt).toISOString(),
  };
}

function toWireEvent(event: PromptLabelEvent): Record<string, unknown> {
  return {
    label: event.label,
    from_version: event.fromVersion,
    to_version: event.toVersion,
    actor: event.actor,
    reason: event.reason,
    at: new Date(event.at).toISOString(),
  };
}

function toWireStats(stats: PromptUsageStats): Record<string, unknown> {
  return {
    group: stats.group,
    requests: stats.requests,
    success_rate: stats.successRate,
    latency_ms: stats.latencyMs,
    ttft_ms: stats.timeToFirstTokenMs,
    mean_prompt_tokens: stats.meanPromptTokens,
    mean_completion_tokens: stats.meanCompletionTokens,
    mean_cost_usd: stats.meanCostUsd,
    total_cost_usd: stats.totalCostUsd,
    cache_hit_rate: stats.cacheHitRate,
    json_repair_rate: stats.jsonRepairRate,
    reask_rate: stats.reaskRate,
    first_used_at: new Date(stats.firstUsedAt).toISOString(),
    last_used_at: new Date(stats.lastUsedAt).toISOString(),
  };
}
