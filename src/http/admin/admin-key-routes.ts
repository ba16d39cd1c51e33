import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import { adminScope } from '../../policies/index.js';
import type { KeyService, NewKey, Principal } from '../../policies/index.js';
import { parseBody } from '../parse-body.js';

const positiveInt = z.int().positive();
const limitsSchema = z.strictObject({
  rpm: positiveInt.optional(),
  tpm: positiveInt.optional(),
  max_concurrent: positiveInt.optional(),
  requests_per_day: positiveInt.optional(),
  requests_per_month: positiveInt.optional(),
  tokens_per_day: positiveInt.optional(),
  tokens_per_month: positiveInt.optional(),
  budget_usd: z.number().positive().optional(),
  budget_period: z.enum(['day', 'month', 'total']).optional(),
  max_input_tokens: positiveInt.optional(),
  max_input_characters: positiveInt.optional(),
});

const editableFields = {
  name: z.string().min(1).max(200),
  user: z.string().min(1).nullable().optional(),
  role: z.enum(['client', 'tenant_admin']).optional(),
  tier: z.string().min(1).nullable().optional(),
  models: z.array(z.string().min(1)).nullable().optional(),
  services: z.array(z.string().min(1)).nullable().optional(),
  limits: limitsSchema.optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  enabled: z.boolean().optional(),
  /** ISO 8601 time, or null for never. */
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
  /** A lifetime from now: `30d`, `12h`, `90m`. */
  expires_in: z.string().regex(/^\d+[smhd]$/, 'a number and s, m, h or d: "30d"').optional(),
};

const createSchema = z.strictObject({ ...editableFields, tenant: z.string().min(1).nullable().optional() });
const updateSchema = z.strictObject({ ...editableFields, name: editableFields.name.optional() });
const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(256).optional(),
});

export interface AdminKeyRoutesOptions {
  keys: KeyService;
  clock?: () => number;
}

/** `/admin/api/keys`: the master key sees every tenant; a tenant admin only its own. */
export async function adminKeyRoutes(app: FastifyInstance, options: AdminKeyRoutesOptions): Promise<void> {
  const clock = options.clock ?? Date.now;
  app.addHook('onRequest', async (request) => {
    actorOf(request);
  });

  app.post('/admin/api/keys', async (request, reply) => {
    const body = parseBody(createSchema, request.body);
    const created = await options.keys.create(actorOf(request), {
      ...toKeyFields(body, clock()),
      name: body.name,
      tenantId: body.tenant ?? null,
    });
    return reply.code(201).send({ ...created.view, key: created.key });
  });

  app.get('/admin/api/keys', async (request) => {
    const query = parseBody(listQuerySchema, request.query);
    return options.keys.list(actorOf(request), query);
  });

  app.get<{ Params: { id: string } }>('/admin/api/keys/:id', async (request) => options.keys.get(actorOf(request), request.params.id));

  app.patch<{ Params: { id: string } }>('/admin/api/keys/:id', async (request) => {
    const body = parseBody(updateSchema, request.body);
    return options.keys.update(actorOf(request), request.params.id, { ...toKeyFields(body, clock()), ...(body.name === undefined ? {} : { name: body.name }) });
  });

  app.delete<{ Params: { id: string } }>('/admin/api/keys/:id', async (request) => options.keys.revoke(actorOf(request), request.params.id));
}

function actorOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  adminScope(principal);
  return principal;
}

type EditableFields = z.output<z.ZodObject<typeof editableFields>>;

function toKeyFields(body: Partial<EditableFields>, now: number): Omit<NewKey, 'name' | 'tenantId'> {
  const fields: Omit<NewKey, 'name' | 'tenantId'> = {};
  if (body.user !== undefined) fields.userId = body.user;
  if (body.role !== undefined) fields.role = body.role;
  if (body.tier !== undefined) fields.tier = body.tier;
  if (body.models !== undefined) fields.allowedModels = body.models;
  if (body.services !== undefined) fields.allowedServices = body.services;
  if (body.metadata !== undefined) fields.metadata = body.metadata;
  if (body.enabled !== undefined) fields.enabled = body.enabled;
  if (body.limits !== undefined) {
    const limits = body.limits;
    fields.limits = {
      rpm: limits.rpm, tpm: limits.tpm, maxConcurrent: limits.max_concurrent,
      requestsPerDay: limits.requests_per_day, requestsPerMonth: limits.requests_per_month,
      tokensPerDay: limits.tokens_per_day, tokensPerMonth: limits.tokens_per_month,
      budgetUsd: limits.budget_usd, budgetPeriod: limits.budget_period,
      maxInputTokens: limits.max_input_tokens, maxInputCharacters: limits.max_input_characters,
    };
    for (const [field, value] of Object.entries(fields.limits)) if (value === undefined) Reflect.deleteProperty(fields.limits, field);
    if ((limits.budget_usd === undefined) !== (limits.budget_period === undefined)) {
      throw new GatewayError('invalid_request', 'budget_usd and budget_period go together.', { param: 'limits.budget_usd' });
    }
  }
  if (body.expires_at !== undefined) fields.expiresAt = body.expires_at === null ? null : Date.parse(body.expires_at);
  if (body.expires_in !== undefined) fields.expiresAt = now + parseLifetime(body.expires_in);
  return fields;
}

function parseLifetime(text: string): number {
  const amount = Number.parseInt(text.slice(0, -1), 10);
  const unit = text.slice(-1);
  const milliseconds = unit === 's' ? 1000 : unit === 'm' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000;
  return amount * milliseconds;
}
