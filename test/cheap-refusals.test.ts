import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

// Issue 10, items 1 and 5: bounded memory whatever clients send, and cheap refusals first.
let upstream: MockUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  upstream.route('/v1/chat/completions', () => openaiCompletion({}));
  gateway = await startTestGateway({
    // Large enough that an 8 MB body is not refused for its size alone.
    server: { max_body_bytes: 16 * 1024 * 1024 },
    providers: [{ name: 'upstream', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream' }],
    models: [{ name: 'small', targets: [{ provider: 'upstream', model: 'gpt-4o-mini' }] }],
  });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

async function post(key: string, body: string): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body,
  });
  return { status: response.status, json: await response.json() };
}

describe('cheap refusals first', () => {
  it('refuses an 8 MB body from a key over its rpm without parsing it', { timeout: 60_000 }, async () => {
    const created = await fetch(`${gateway.url}/admin/api/keys`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'one-a-minute', limits: { rpm: 1 } }),
    });
    const json: unknown = await created.json();
    const key = json !== null && typeof json === 'object' && 'key' in json ? json.key : undefined;
    if (typeof key !== 'string') throw new Error('no key');
    expect((await post(key, JSON.stringify({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }))).status).toBe(200);
    // Not JSON at all: parsing it would answer 400 invalid_json; the rpm check answers first.
    const refused = await post(key, `{"model": "small", "messages": "${'x'.repeat(8 * 1024 * 1024)}`);
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    // A caller within its limits still gets its body parsed (and refused for what is in it).
    expect((await post(TEST_MASTER_KEY, `{"model": "small", "messages": "${'x'.repeat(8 * 1024 * 1024)}`)).json)
      .toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('refuses a body nested deeper than any API needs before JSON.parse spends seconds on it', { timeout: 60_000 }, async () => {
    const refused = await post(TEST_MASTER_KEY, `{"model": "small", "messages": ${'['.repeat(4 * 1024 * 1024)}`);
    expect(refused).toMatchObject({ status: 400, json: { error: { code: 'invalid_json', message: expect.stringContaining('deeper than 64') } } });
    const shallow = JSON.stringify({ model: 'small', messages: [{ role: 'user', content: `[[[{{{"\\${'['.repeat(1000)}` }] });
    expect((await post(TEST_MASTER_KEY, shallow)).status).toBe(200);
  });
});

describe('bounded memory', () => {
  it('keeps the heap within 16 MB after 60 rounds of refused requests with 1 MB model names and user ids (180 MB before the fix)', async () => {
    // A child process with --expose-gc measures its own heap after full collections (see heap-probe.ts).
    const probe = fileURLToPath(new URL('./support/heap-probe.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', probe, '60'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)), maxBuffer: 1024 * 1024,
    });
    const result: { before: number; after: number; statuses: number[] } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    // Every one of the 180 requests was refused: 400 for the 1 MB fields, 429 for the key over its rpm.
    expect(result.statuses).toEqual([400, 429]);
    // Retaining the client's strings grew the heap by ~3 MB a round (180 MB); what is left is
    // loop and buffer noise, which reached 9.8 MB on a loaded CI machine.
    expect(result.after - result.before).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);
});
