import Anthropic from '@anthropic-ai/sdk';
import { SignJWT } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../src/core/index.js';
import { openaiCompletion, openaiStream, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const JWT_SECRET = 'a-shared-secret-of-at-least-32-characters';
let upstream: MockUpstream;
let gateway: TestGateway;
const events: GatewayEvent[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  gateway = await startTestGateway({
    auth: {
      master_key: TEST_MASTER_KEY,
      jwt: {
        secret: JWT_SECRET, issuer: 'https://issuer.test', audience: 'sluice', claims: { tenant: 'org', user: 'sub', tier: 'plan' }, default_tier: 'tiny',
      },
    },
    providers: [{ name: 'upstream', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream' }],
    models: [
      // $1 per 1000 input tokens, $2 per 1000 output tokens: the default reply (5 in, 3 out) costs $0.011.
      { name: 'priced', targets: [{ provider: 'upstream', model: 'gpt-priced' }], pricing: { input_per_mtok: 1000, output_per_mtok: 2000 } },
      { name: 'other', targets: [{ provider: 'upstream', model: 'gpt-other' }] },
    ],
    tiers: { tiny: { rpm: 1 }, 'per-user': { rpm: 3 } },
    limits: { end_user_tier: 'per-user', tenants: { capped: { requests_per_day: 2 } } },
  });
  gateway.gateway.events.subscribe((event) => events.push(event));
  upstream.route('/v1/chat/completions', () => openaiCompletion({}));
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => {
  events.length = 0;
});

const hello = [{ role: 'user' as const, content: 'Say hello' }];

async function admin(method: string, path: string, body?: unknown, key = TEST_MASTER_KEY): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: body === undefined ? { authorization: `Bearer ${key}` } : { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json: unknown = await response.json();
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('expected a JSON object');
  return { status: response.status, json: Object.fromEntries(Object.entries(json)) };
}

async function createKey(body: Record<string, unknown>, actor = TEST_MASTER_KEY): Promise<{ id: string; key: string }> {
  const { status, json } = await admin('POST', '/admin/api/keys', body, actor);
  expect(status).toBe(201);
  const { id, key } = json;
  if (typeof id !== 'string' || typeof key !== 'string') throw new Error('no id or key in the answer');
  return { id, key };
}

function client(apiKey: string, headers: Record<string, string> = {}): OpenAI {
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0, defaultHeaders: headers });
}

describe('rate limits', () => {
  it('answers over the rpm limit with the SDK\'s RateLimitError, retry-after and x-ratelimit-* headers', async () => {
    const { key } = await createKey({ name: 'rpm-2', limits: { rpm: 2 } });
    const caller = client(key);
    const first = await caller.chat.completions.create({ model: 'other', messages: hello }).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.response.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+ms|(\d+m)?[\d.]+s)$/);
    const second = await caller.chat.completions.create({ model: 'other', messages: hello }).withResponse();
    expect(second.response.headers.get('x-ratelimit-remaining-requests')).toBe('0');

    const error: unknown = await caller.chat.completions.create({ model: 'other', messages: hello }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    if (!(error instanceof OpenAI.RateLimitError)) return;
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.type).toBe('rate_limit_error');
    const retryAfterMs = Number(error.headers.get('retry-after-ms'));
    expect(retryAfterMs).toBeGreaterThan(50_000);
    expect(retryAfterMs).toBeLessThanOrEqual(61_000);
    expect(error.headers.get('retry-after')).toBe(String(Math.ceil(retryAfterMs / 1000)));
    expect(error.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(error.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(upstream.requests.filter((request) => request.headers.authorization === 'Bearer sk-upstream').length).toBeGreaterThanOrEqual(2);
  });

  it('the Messages API answers over the limit with the Anthropic SDK\'s RateLimitError and the same headers', async () => {
    const { key } = await createKey({ name: 'anthropic-rpm-1', limits: { rpm: 1 } });
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: key, maxRetries: 0 });
    const message = { model: 'other', max_tokens: 16, messages: [{ role: 'user' as const, content: 'Say hello' }] };
    const { response } = await anthropic.messages.create(message).withResponse();
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const error: unknown = await anthropic.messages.create(message).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    if (!(error instanceof Anthropic.RateLimitError)) return;
    expect(error.headers?.get('x-ratelimit-limit-requests')).toBe('1');
    expect(Number(error.headers?.get('retry-after-ms'))).toBeGreaterThan(0);
  });

  it('counts concurrent first requests of a new end user: its tier holds without a key per user', async () => {
    const { key } = await createKey({ name: 'app' });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () =>
      client(key, { 'x-sluice-user': 'newbie' }).chat.completions.create({ model: 'other', messages: hello })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused.every((result) => result.reason instanceof OpenAI.RateLimitError)).toBe(true);
    // The body's `user` field names an end user too, with its own quota.
    await expect(client(key).chat.completions.create({ model: 'other', messages: hello, user: 'someone-else' })).resolves.toBeDefined();
  });

  it('counts end users per key, or per app id shared by several keys: one caller\'s "alice" is not another\'s', async () => {
    const one = await createKey({ name: 'app-one' });
    const two = await createKey({ name: 'app-two' });
    const alice = (key: string) => client(key, { 'x-sluice-user': 'alice' }).chat.completions.create({ model: 'other', messages: hello });
    for (let index = 0; index < 3; index++) await alice(one.key);
    await expect(alice(one.key)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(alice(two.key)).resolves.toBeDefined();
    const web = await createKey({ name: 'web', metadata: { app_id: 'shop' } });
    const mobile = await createKey({ name: 'mobile', metadata: { app_id: 'shop' } });
    for (let index = 0; index < 3; index++) await alice(web.key);
    await expect(alice(mobile.key)).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('enforces a tenant\'s daily quota across its keys with quota_exceeded', async () => {
    const one = await createKey({ name: 'capped-1', tenant: 'capped' });
    const two = await createKey({ name: 'capped-2', tenant: 'capped' });
    await client(one.key).chat.completions.create({ model: 'other', messages: hello });
    await client(two.key).chat.completions.create({ model: 'other', messages: hello });
    const error: unknown = await client(one.key).chat.completions.create({ model: 'other', messages: hello }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ code: 'quota_exceeded' });
  });

  it('refuses a request larger than the key allows', async () => {
    const { key } = await createKey({ name: 'small', limits: { max_input_characters: 20 } });
    const error: unknown = await client(key).chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'x'.repeat(21) }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ code: 'invalid_request', param: 'messages' });
  });

  it('a concurrency slot is released when the client abandons a stream', async () => {
    const { key } = await createKey({ name: 'one-at-a-time', limits: { max_concurrent: 1 } });
    upstream.enqueue('/v1/chat/completions', { ...openaiStream({}), stallAfter: 2 });
    const controller = new AbortController();
    const stream = await client(key).chat.completions.create({ model: 'other', messages: hello, stream: true }, { signal: controller.signal });
    const blocked: unknown = await client(key).chat.completions.create({ model: 'other', messages: hello }).catch((caught: unknown) => caught);
    expect(blocked).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    for await (const _chunk of stream) {
      controller.abort();
      break;
    }
    await waitFor(() => events.some((event) => event.type === 'request-end' && event.summary.errorCode === 'client_closed'));
    await expect(client(key).chat.completions.create({ model: 'other', messages: hello })).resolves.toBeDefined();
  });
});

describe('budgets', () => {
  it('reserves the worst case, settles to the real cost, warns at 50 % and refuses with budget_exceeded', async () => {
    // Reservation: (10 input tokens × $1 + 3 output tokens × $2) / 1000 = $0.016; real cost $0.011.
    const { key } = await createKey({ name: 'budget', limits: { budget_usd: 0.02, budget_period: 'total' } });
    const caller = client(key);
    await caller.chat.completions.create({ model: 'priced', messages: hello, max_tokens: 3 });
    await waitFor(() => events.some((event) => event.type === 'budget-warning'));
    expect(events.filter((event) => event.type === 'budget-warning')).toEqual([
      expect.objectContaining({ type: 'budget-warning', scope: 'key', threshold: 0.5, spentUsd: 0.011, budgetUsd: 0.02, period: 'total' }),
    ]);
    const error: unknown = await caller.chat.completions.create({ model: 'priced', messages: hello, max_tokens: 3 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ code: 'budget_exceeded' });
  });

  it('a request without max_tokens reserves the default output cap', async () => {
    const { key } = await createKey({ name: 'no-cap', limits: { budget_usd: 1, budget_period: 'month' } });
    // 4096 default output tokens × $2 / 1000 = $8.19 > $1.
    const error: unknown = await client(key).chat.completions.create({ model: 'priced', messages: hello }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 429, code: 'budget_exceeded' });
    await expect(client(key).chat.completions.create({ model: 'priced', messages: hello, max_tokens: 100 })).resolves.toBeDefined();
  });

  it('a streamed answer settles to the usage it reports', async () => {
    const { key } = await createKey({ name: 'stream-budget', limits: { budget_usd: 0.03, budget_period: 'day' } });
    upstream.enqueue('/v1/chat/completions', openaiStream({}));
    const stream = await client(key).chat.completions.create({ model: 'priced', messages: hello, stream: true, max_tokens: 3 });
    for await (const _chunk of stream) { /* drain */ }
    // Spent $0.011 of $0.03: one more reservation of $0.016 fits, a third does not.
    await client(key).chat.completions.create({ model: 'priced', messages: hello, max_tokens: 3 });
    const error: unknown = await client(key).chat.completions.create({ model: 'priced', messages: hello, max_tokens: 3 }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 429, code: 'budget_exceeded' });
  });
});

describe('keys and tenants', () => {
  it('a revoked key stops at once; an expired or disabled key is refused', async () => {
    const { id, key } = await createKey({ name: 'short-lived' });
    await client(key).chat.completions.create({ model: 'other', messages: hello });
    expect((await admin('DELETE', `/admin/api/keys/${id}`)).json).toMatchObject({ status: 'revoked' });
    await expect(client(key).chat.completions.create({ model: 'other', messages: hello })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);

    const expired = await createKey({ name: 'expired', expires_at: '2020-01-01T00:00:00Z' });
    await expect(client(expired.key).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const disabled = await createKey({ name: 'off' });
    expect((await admin('PATCH', `/admin/api/keys/${disabled.id}`, { enabled: false })).status).toBe(200);
    await expect(client(disabled.key).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('shows the secret once, stores only its hash and never lists it', async () => {
    const { id, key } = await createKey({ name: 'shown-once', tier: 'tiny', models: ['other'], metadata: { team: 'search' } });
    expect(key).toMatch(/^sk-sluice-[\w-]{32}$/);
    const { json } = await admin('GET', `/admin/api/keys/${id}`);
    expect(json).toMatchObject({ id, name: 'shown-once', tier: 'tiny', models: ['other'], metadata: { team: 'search' }, status: 'active' });
    expect(JSON.stringify(json)).not.toContain(key);
    expect(json.key_hint).toBe(`sk-sluice-…${key.slice(-4)}`);
    const list = await admin('GET', '/admin/api/keys?limit=100');
    expect(JSON.stringify(list.json)).not.toContain(key.slice(10));
  });

  it('limits a key to its models: 403 for others, and /v1/models lists only those', async () => {
    const { key } = await createKey({ name: 'only-other', models: ['other'] });
    const error: unknown = await client(key).chat.completions.create({ model: 'priced', messages: hello }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error).toMatchObject({ code: 'model_not_allowed' });
    const models = await client(key).models.list();
    expect(models.data.map((model) => model.id)).toEqual(['other']);
  });

  it('a tenant admin sees and manages only its own tenant; reading across tenants is refused', async () => {
    const tenantAdmin = await createKey({ name: 'acme-admin', tenant: 'acme', role: 'tenant_admin' });
    const acmeKey = await createKey({ name: 'acme-app' }, tenantAdmin.key);
    const globexKey = await createKey({ name: 'globex-app', tenant: 'globex' });

    expect((await admin('GET', `/admin/api/keys/${acmeKey.id}`, undefined, tenantAdmin.key)).json).toMatchObject({ tenant: 'acme' });
    const list = await admin('GET', '/admin/api/keys?limit=100', undefined, tenantAdmin.key);
    const tenants = (list.json.data as Array<{ tenant: string }>).map((item) => item.tenant);
    expect(tenants.length).toBeGreaterThanOrEqual(2);
    expect(new Set(tenants)).toEqual(new Set(['acme']));

    expect((await admin('GET', `/admin/api/keys/${globexKey.id}`, undefined, tenantAdmin.key)).status).toBe(404);
    expect((await admin('PATCH', `/admin/api/keys/${globexKey.id}`, { enabled: false }, tenantAdmin.key)).status).toBe(404);
    expect((await admin('DELETE', `/admin/api/keys/${globexKey.id}`, undefined, tenantAdmin.key)).status).toBe(404);
    expect((await admin('POST', '/admin/api/keys', { name: 'sneaky', tenant: 'globex' }, tenantAdmin.key)).status).toBe(403);
    await expect(client(globexKey.key).models.list()).resolves.toBeDefined();

    const clientKeyCall = await admin('GET', '/admin/api/keys', undefined, acmeKey.key);
    expect(clientKeyCall).toMatchObject({ status: 403, json: { error: { code: 'permission_denied' } } });
  });

  it('lists in pages with a cursor', async () => {
    for (let index = 0; index < 3; index++) await createKey({ name: `paged-${index}`, tenant: 'paged' });
    const tenantAdmin = await createKey({ name: 'paged-admin', tenant: 'paged', role: 'tenant_admin' });
    const first = await admin('GET', '/admin/api/keys?limit=2', undefined, tenantAdmin.key);
    expect(first.json.data).toHaveLength(2);
    const second = await admin('GET', `/admin/api/keys?limit=2&cursor=${String(first.json.next_cursor)}`, undefined, tenantAdmin.key);
    expect(second.json.data).toHaveLength(2);
    expect(second.json.next_cursor).toBeNull();
  });
});

describe('JWT auth', () => {
  async function token(claims: Record<string, string>, audience = 'sluice'): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test').setAudience(audience)
      .setSubject(claims.sub ?? 'user-1').setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
  }

  it('accepts a signed token and applies the tier its claim names', async () => {
    const caller = client(await token({ sub: 'jwt-user', org: 'acme', plan: 'tiny' }));
    const { response } = await caller.chat.completions.create({ model: 'other', messages: hello }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1');
    await expect(caller.chat.completions.create({ model: 'other', messages: hello })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const ends = events.filter((event) => event.type === 'request-end');
    expect(ends[0]).toMatchObject({ summary: { tenantId: 'acme', status: 200 } });
  });

  it('refuses a token without exp', async () => {
    const endless = await new SignJWT({ org: 'acme', plan: 'tiny' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test')
      .setAudience('sluice').setSubject('forever').sign(new TextEncoder().encode(JWT_SECRET));
    await expect(client(endless).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('gives a token without sub, or with an unknown tier, the default tier rather than no limits', async () => {
    const unknownTier = client(await token({ sub: 'upgrader', org: 'acme', plan: 'unlimited-please' }));
    const { response } = await unknownTier.chat.completions.create({ model: 'other', messages: hello }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1');
    await expect(unknownTier.chat.completions.create({ model: 'other', messages: hello })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const anonymous = await new SignJWT({ org: 'nobody' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test')
      .setAudience('sluice').setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
    await client(anonymous).chat.completions.create({ model: 'other', messages: hello });
    await expect(client(anonymous).chat.completions.create({ model: 'other', messages: hello })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it('refuses a token for another audience or with a bad signature', async () => {
    await expect(client(await token({ sub: 'x' }, 'someone-else')).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const forged = `${(await token({ sub: 'x' })).slice(0, -4)}AAAA`;
    await expect(client(forged).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
