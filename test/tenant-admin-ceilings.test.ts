import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

// Issue 10, item 7: limits, tiers, model lists, disabled state and expiry set by the master key are
// ceilings a tenant admin can only lower.
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({
    providers: [{ name: 'offline', type: 'mock' }],
    models: [{ name: 'a', targets: [{ provider: 'offline', model: 'echo' }] }, { name: 'b', targets: [{ provider: 'offline', model: 'echo' }] }],
    tiers: { small: { rpm: 10 }, huge: { rpm: 100_000 } },
  });
});

afterAll(async () => {
  await gateway?.close();
});

async function admin(method: string, path: string, body: unknown, key = TEST_MASTER_KEY): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json: unknown = await response.json();
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('expected a JSON object');
  return { status: response.status, json: Object.fromEntries(Object.entries(json)) };
}

function errorParam(json: Record<string, unknown>): unknown {
  const error = json.error;
  return error !== null && typeof error === 'object' && 'param' in error ? error.param : undefined;
}

async function tenantAdmin(extra: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const { status, json } = await admin('POST', '/keys', {
    name: 'acme admin', tenant: 'acme', role: 'tenant_admin', tier: 'small',
    limits: { budget_usd: 5, budget_period: 'month' }, models: ['a'], expires_in: '30d', ...extra,
  });
  expect(status).toBe(201);
  if (typeof json.id !== 'string' || typeof json.key !== 'string') throw new Error('no key');
  return { id: json.id, key: json.key };
}

describe('a tenant admin under the master key\'s ceilings', () => {
  it('cannot raise its own limits, tier, models or expiry with a PATCH', async () => {
    const self = await tenantAdmin({});
    const patch = (body: Record<string, unknown>) => admin('PATCH', `/keys/${self.id}`, body, self.key);

    const raised = await patch({ limits: { rpm: 1_000_000 } });
    expect(raised.status).toBe(403);
    expect(errorParam(raised.json)).toBe('limits.rpm');
    expect(errorParam((await patch({ limits: { budget_usd: 500, budget_period: 'month' } })).json)).toBe('limits.budget_usd');
    expect(errorParam((await patch({ limits: { budget_usd: 5, budget_period: 'day' } })).json)).toBe('limits.budget_period');
    expect(errorParam((await patch({ models: ['a', 'b'] })).json)).toBe('models');
    expect(errorParam((await patch({ expires_at: null })).json)).toBe('expires_at');
    expect(errorParam((await patch({ expires_in: '3650d' })).json)).toBe('expires_at');

    // Dropping the limits or switching to a bigger tier keeps the ceilings instead of lifting them.
    const dropped = await patch({ limits: {}, tier: 'huge', models: null });
    expect(dropped.status).toBe(200);
    expect(dropped.json).toMatchObject({ limits: { rpm: 10, budget_usd: 5, budget_period: 'month' }, models: ['a'] });

    // Lowering is fine.
    const lowered = await patch({ limits: { rpm: 5, budget_usd: 1, budget_period: 'total' }, expires_in: '1d' });
    expect(lowered.status).toBe(200);
    expect(lowered.json).toMatchObject({ limits: { rpm: 5, budget_usd: 1, budget_period: 'total' } });
  });

  it('cannot re-enable a key the master disabled, and hands out no more than it holds', async () => {
    const self = await tenantAdmin({});
    const created = await admin('POST', '/keys', { name: 'member', tenant: 'acme' }, TEST_MASTER_KEY);
    expect(created.status).toBe(201);
    await admin('PATCH', `/keys/${String(created.json.id)}`, { enabled: false });
    const enabled = await admin('PATCH', `/keys/${String(created.json.id)}`, { enabled: true }, self.key);
    expect(enabled.status).toBe(403);
    expect(errorParam(enabled.json)).toBe('enabled');

    const child = await admin('POST', '/keys', { name: 'child', tier: 'huge' }, self.key);
    expect(child.status).toBe(201);
    expect(child.json).toMatchObject({ limits: { rpm: 10, budget_usd: 5, budget_period: 'month' }, models: ['a'] });
    const greedy = await admin('POST', '/keys', { name: 'greedy', limits: { rpm: 11 } }, self.key);
    expect(errorParam(greedy.json)).toBe('limits.rpm');
    // The master key is not bound by any of it.
    expect((await admin('PATCH', `/keys/${self.id}`, { limits: { rpm: 1_000_000 }, models: null, expires_at: null })).status).toBe(200);
  });
});
