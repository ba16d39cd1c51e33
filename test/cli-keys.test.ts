import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSluice } from './support/run-sluice.js';
import type { CliResult } from './support/run-sluice.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

let gateway: TestGateway;
beforeAll(async () => {
  gateway = await startTestGateway({ providers: [{ name: 'mock', type: 'mock', models: ['echo'] }] });
});
afterAll(async () => {
  await gateway?.close();
});

function sluice(args: string[], direct: { cwd: string } | null = null): Promise<CliResult> {
  const connection = direct === null ? ['--url', gateway.url, '--admin-key', TEST_MASTER_KEY] : [];
  return runSluice([...args, ...connection], direct?.cwd ?? mkdtempSync(join(tmpdir(), 'sluice-cli-')));
}

describe('sluice keys', () => {
  it('creates a key printed once on its own line, lists it without the secret, and revokes it', async () => {
    const created = await sluice(['keys', 'create', '--name', 'cli-key', '--tier', 'pro', '--rpm', '5', '--budget-usd', '2', '--budget-period', 'day', '--models', 'mock/echo', '--expires', '30d']);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^sk-sluice-[\w-]{32}$/);

    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(response.headers.get('x-ratelimit-limit-requests')).toBe('5');

    const listed = await sluice(['keys', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key);
    const list: unknown = JSON.parse(listed.stdout);
    const entry = (list as { data: Array<{ id: string; name: string; tier: string; limits: unknown; expires_at: string | null }> }).data
      .find((item) => item.name === 'cli-key');
    expect(entry).toMatchObject({ tier: 'pro', limits: { rpm: 5, budget_usd: 2, budget_period: 'day' } });
    expect(Date.parse(entry?.expires_at ?? '') - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const revoked = await sluice(['keys', 'revoke', entry?.id ?? '']);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked ${entry?.id ?? ''}\n` });
    await expect(client.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('without --url works on the configured database, and a gateway on that database accepts the key', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sluice-cli-db-'));
    const databaseUrl = `sqlite://${join(cwd, 'keys.db')}`;
    writeFileSync(join(cwd, 'sluice.yaml'), JSON.stringify({
      auth: { master_key: TEST_MASTER_KEY }, storage: { database_url: databaseUrl },
      providers: [{ name: 'mock', type: 'mock', models: ['echo'] }],
    }));
    const created = await sluice(['keys', 'create', '--name', 'offline', '--rpm', '3'], { cwd });
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^sk-sluice-/);
    const listed = await sluice(['keys', 'list'], { cwd });
    expect(listed.stdout).toMatch(/offline\s+-\s+-\s+active\s+sk-sluice-…/);

    const onDatabase = await startTestGateway({ storage: { database_url: databaseUrl }, providers: [{ name: 'mock', type: 'mock', models: ['echo'] }] });
    try {
      const client = new OpenAI({ baseURL: `${onDatabase.url}/v1`, apiKey: key, maxRetries: 0 });
      const { response } = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('3');
    } finally {
      await onDatabase.close();
    }
  });

  it('reports an admin API refusal and exits 1', async () => {
    const result = await sluice(['keys', 'create', '--name', 'bad', '--tier', 'platinum']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid_request');
  });
});
