import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI, { APIError } from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/index.js';
import type { ConfigInput } from '../src/config/index.js';
import type { CapWarning, GatewayEvent } from '../src/core/index.js';
import { createGateway } from '../src/main.js';
import type { Gateway } from '../src/main.js';
import { openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { startRedisServer } from './support/redis-server.js';
import type { RedisServer } from './support/redis-server.js';

/**
 * Issue 21, black-box: two mock upstreams behind two gateway instances sharing one real
 * redis-server. `primary` is capped at PRIMARY_CAP tokens a day; `backup` is not.
 */
const MASTER = 'sk-test-master-key';
const PRIMARY_CAP = 200;
const MAX_TOKENS = 10;

let redis: RedisServer;
let primary: MockUpstream;
let backup: MockUpstream;
const gateways: Array<{ gateway: Gateway; url: string; logs: string[] }> = [];
const warnings: CapWarning[] = [];

function config(): ConfigInput {
  return {
    auth: { master_key: MASTER },
    storage: { redis_url: redis.url },
    // Generous, so a busy machine never turns these proofs into fail_open decisions.
    limits: { store: 'redis', redis_timeout_ms: 1000 },
    providers: [
      { name: 'primary', type: 'openai', base_url: `${primary.url}/v1`, api_key: 'sk-a', limits: { tokens_per_day: PRIMARY_CAP } },
      { name: 'backup', type: 'openai', base_url: `${backup.url}/v1`, api_key: 'sk-b' },
      { name: 'tiny-a', type: 'openai', base_url: `${primary.url}/v1`, api_key: 'sk-a', limits: { tokens_per_day: 5 } },
      { name: 'tiny-b', type: 'openai', base_url: `${backup.url}/v1`, api_key: 'sk-b', limits: { tokens_per_month: 5 } },
    ],
    models: [
      { name: 'smart', strategy: 'fallback', targets: [{ provider: 'primary', model: 'gpt-a' }, { provider: 'backup', model: 'gpt-b' }] },
      { name: 'starved', strategy: 'loadbalance', targets: [{ provider: 'tiny-a', model: 'gpt-a' }, { provider: 'tiny-b', model: 'gpt-b' }] },
    ],
    alerts: { rules: [{ name: 'provider-caps', type: 'budget', scope: 'provider' }] },
  };
}

async function startGateway(): Promise<{ gateway: Gateway; url: string; logs: string[] }> {
  const cwd = mkdtempSync(join(tmpdir(), 'sluice-caps-'));
  const input = config();
  const resolved = resolveConfig({ ...input, storage: { ...input.storage, database_url: `sqlite://${join(cwd, 'sluice.db')}` } });
  if (!resolved.ok) throw new Error(`test config is invalid: ${JSON.stringify(resolved.problems)}`);
  const logs: string[] = [];
  const sink = new Writable({ write(line: Buffer, _encoding, done) { logs.push(line.toString()); done(); } });
  const gateway = await createGateway(resolved.config, { cwd, logger: pino({ level: 'warn' }, sink) });
  gateway.events.subscribe((event: GatewayEvent) => {
    if (event.type === 'cap-warning') warnings.push(event);
  });
  const url = await gateway.listen({ host: '127.0.0.1', port: 0 });
  return { gateway, url, logs };
}

function client(url: string): OpenAI {
  return new OpenAI({ baseURL: `${url}/v1`, apiKey: MASTER, maxRetries: 0 });
}

async function ask(url: string, model = 'smart', requestId?: string) {
  return client(url).chat.completions.create(
    { model, messages: [{ role: 'user', content: 'Say hello' }], max_tokens: MAX_TOKENS },
    requestId === undefined ? {} : { headers: { 'x-request-id': requestId } },
  ).withResponse();
}

async function loggedRequest(index: number, requestId: string): Promise<Record<string, unknown>> {
  const entry = gateways[index];
  if (entry === undefined) throw new Error('no such gateway');
  await entry.gateway.flushRequestLog();
  const response = await fetch(`${entry.url}/admin/api/logs/${requestId}`, { headers: { authorization: `Bearer ${MASTER}` } });
  expect(response.status).toBe(200);
  return await response.json() as Record<string, unknown>;
}

/** Tokens the primary upstream billed: 5 input tokens plus max_tokens of output per request. */
function primaryTokens(): number {
  return primary.requests.length * (5 + MAX_TOKENS);
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

beforeAll(async () => {
  redis = await startRedisServer();
  primary = await startMockUpstream({ recordRequests: true });
  backup = await startMockUpstream({ recordRequests: true });
  for (const upstream of [primary, backup]) {
    upstream.route('/v1/chat/completions', async () => ({
      ...openaiCompletion({ usage: { prompt_tokens: 5, completion_tokens: MAX_TOKENS } }), delayMs: 15,
    }));
  }
  gateways.push(await startGateway(), await startGateway());
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map(({ gateway }) => gateway.close()));
  await Promise.all([primary?.close(), backup?.close(), redis?.stop()]);
});

describe('provider caps through the gateway', () => {
  it('50 concurrent requests across two instances never pass the cap; the rest are served by the fallback', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_item, index) => ask(gateways[index % 2]?.url ?? '')));
    expect(gateways.map(({ gateway }) => gateway.limitStoreFailOpenCount())).toEqual([0, 0]);
    expect(results.every(({ response }) => response.status === 200)).toBe(true);
    const byProvider = (name: string) => results.filter(({ response }) => response.headers.get('x-sluice-provider') === name).length;
    expect(byProvider('primary')).toBe(primary.requests.length);
    expect(byProvider('primary') + byProvider('backup')).toBe(50);
    expect(primaryTokens()).toBeGreaterThan(0);
    expect(primaryTokens()).toBeLessThanOrEqual(PRIMARY_CAP);
    expect(backup.requests.length).toBe(byProvider('backup'));
  });

  it('once the cap is spent every request moves to the fallback, and the attempt trail names the cap', async () => {
    const primaryBefore = primary.requests.length;
    const backupBefore = backup.requests.length;
    for (const { url } of gateways) {
      const { response } = await ask(url);
      expect(response.headers.get('x-sluice-provider')).toBe('backup');
      expect(response.headers.get('x-sluice-attempts')).toBe('1');
      const trail = response.headers.get('x-sluice-attempt-trail') ?? '';
      expect(trail).toMatch(/^primary\/gpt-a;kind=skipped;status=none;error=provider_cap_reached;cap=provider%20primary%20tokens_per_day;ms=0, backup\/gpt-b;kind=fallback;status=200;ms=\d+$/);
    }
    expect(primary.requests.length).toBe(primaryBefore);
    expect(backup.requests.length).toBe(backupBefore + 2);
  });

  it('the request log counts upstream calls like x-sluice-attempts, and keeps the skipped target as an attempt row', async () => {
    const { response } = await ask(gateways[0]?.url ?? '', 'smart', 'caps-log-skipped-1');
    expect(response.headers.get('x-sluice-attempts')).toBe('1');
    const row = await loggedRequest(0, 'caps-log-skipped-1');
    expect(row).toMatchObject({ attempts: 1, provider: 'backup', provider_model: 'gpt-b', status: 200 });
    expect(row['attempt_log']).toEqual([
      expect.objectContaining({ provider: 'primary', model: 'gpt-a', kind: 'skipped', status: null, error_code: 'provider_cap_reached',
        error_message: expect.stringContaining('tokens_per_day cap of provider primary') }),
      expect.objectContaining({ provider: 'backup', model: 'gpt-b', kind: 'fallback', status: 200, error_code: null }),
    ]);
  });

  it('with every target capped the client gets 429 provider_cap_reached and retry-after at the next UTC reset', async () => {
    const error: unknown = await ask(gateways[0]?.url ?? '', 'starved').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    if (!(error instanceof APIError)) return;
    expect(error.status).toBe(429);
    expect(error.code).toBe('provider_cap_reached');
    const now = new Date();
    // tiny-a resets at the next UTC midnight, tiny-b at the next month: the earliest wins.
    const nextMidnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    const retryAfter = Number(error.headers?.get('retry-after'));
    expect(Math.abs(retryAfter - (nextMidnight - Date.now()) / 1000)).toBeLessThan(10);
    expect(Number(error.headers?.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(error.headers?.get('x-sluice-attempt-trail')).toContain('cap=provider%20tiny-');
    expect(error.headers?.get('x-sluice-attempts')).toBe('0');
    const refused = await ask(gateways[1]?.url ?? '', 'starved', 'caps-log-starved-1').catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(APIError);
    const row = await loggedRequest(1, 'caps-log-starved-1');
    expect(row).toMatchObject({ attempts: 0, status: 429, error_code: 'provider_cap_reached', cost_usd: 0, total_tokens: 0 });
    const skipped = row['attempt_log'];
    expect(Array.isArray(skipped) ? skipped.map((attempt: { kind?: unknown }) => attempt.kind) : skipped).toEqual(['skipped', 'skipped']);
  });

  it('the 50/80/100 % warnings fired exactly once for the period, in the log, as a metric and as an alert', async () => {
    await waitFor(() => warnings.filter((warning) => warning.subject === 'primary').length >= 3);
    const primaryWarnings = warnings.filter((warning) => warning.subject === 'primary');
    expect(primaryWarnings.map((warning) => warning.threshold).sort()).toEqual([0.5, 0.8, 1]);
    expect(primaryWarnings.every((warning) => warning.cap === 'tokens_per_day' && warning.limit === PRIMARY_CAP)).toBe(true);
    const logged = gateways.flatMap(({ logs }) => logs).filter((line) => line.includes('"event":"cap-warning"') && line.includes('"subject":"primary"'));
    expect(logged).toHaveLength(3);
    let metricTotal = 0;
    for (const { url } of gateways) {
      const text = await (await fetch(`${url}/metrics`)).text();
      for (const match of text.matchAll(/^sluice_cap_warnings_total\{[^}]*subject="primary"[^}]*\} (\d+)$/gm)) metricTotal += Number(match[1]);
    }
    expect(metricTotal).toBe(3);
    const alerts: unknown[] = [];
    for (const { url } of gateways) {
      const body = await (await fetch(`${url}/admin/api/alerts`, { headers: { authorization: `Bearer ${MASTER}` } })).json() as { history?: Array<{ scopeKey?: string }> };
      alerts.push(...(body.history ?? []).filter((entry) => entry.scopeKey === 'provider:primary'));
    }
    expect(alerts).toHaveLength(3);
  });

  it('/health/ready and /admin/api/caps show each cap with its use and next reset', async () => {
    const url = gateways[1]?.url ?? '';
    const ready = await (await fetch(`${url}/health/ready`)).json() as { status: string; checks: { caps: { status: string; caps: Array<Record<string, unknown>> } } };
    expect(ready.status).toBe('ready');
    // 195 of 200 tokens: no request fits any more (each reserves 20), but the cap is not used up.
    expect(ready.checks.caps.status).toBe('warning');
    const now = new Date();
    const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
    expect(ready.checks.caps.caps).toContainEqual(expect.objectContaining({
      scope: 'provider', subject: 'primary', cap: 'tokens_per_day', limit: PRIMARY_CAP, used: primaryTokens(), resets_at: midnight,
    }));
    const admin = await fetch(`${url}/admin/api/caps`, { headers: { authorization: `Bearer ${MASTER}` } });
    expect(admin.status).toBe(200);
    const listed = await admin.json() as { data: Array<Record<string, unknown>>; next_cursor: null };
    expect(listed.next_cursor).toBeNull();
    expect(listed.data.map((use) => `${String(use.subject)} ${String(use.cap)}`)).toEqual([
      'primary tokens_per_day', 'tiny-a tokens_per_day', 'tiny-b tokens_per_month',
    ]);
  });
});
