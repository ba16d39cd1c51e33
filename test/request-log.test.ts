import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resolveConfig } from '../src/config/index.js';
import type { GatewayConfig } from '../src/config/index.js';
import { createGateway } from '../src/main.js';
import type { Gateway } from '../src/main.js';
import { openaiCompletion, openaiStream, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';

const MASTER_KEY = 'sk-test-master-key-123';

function configFor(directory: string, upstream: MockUpstream, extra: Record<string, unknown> = {}): GatewayConfig {
  const resolved = resolveConfig({
    environment: 'development',
    auth: { master_key: MASTER_KEY },
    storage: { database_url: `sqlite://${join(directory, 'sluice.db')}` },
    logging: { level: 'silent', log_bodies: true, request_log: { flush_interval_ms: 50 } },
    providers: [
      { name: 'mock', type: 'mock' },
      { name: 'up', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-secret-value-1234' },
    ],
    models: [
      { name: 'priced', targets: [{ provider: 'mock', model: 'echo' }], pricing: { input_per_mtok: 1_000_000, output_per_mtok: 2_000_000 } },
    ],
    ...extra,
  });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  return resolved.config;
}

describe('request log through the gateway (SQLite)', () => {
  let directory: string;
  let upstream: MockUpstream;
  let gateway: Gateway;
  let client: OpenAI;
  let baseUrl: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-log-'));
    upstream = await startMockUpstream();
    gateway = await createGateway(configFor(directory, upstream), { cwd: directory });
    baseUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
    client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
    rmSync(directory, { recursive: true, force: true });
  });

  async function admin(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    const body = z.record(z.string(), z.unknown()).parse(await response.json());
    return { status: response.status, body };
  }

  it('leaves one priced row per completion, with tokens, cost, metadata and redacted bodies', async () => {
    await client.chat.completions.create(
      { model: 'priced', messages: [{ role: 'user', content: 'one two three my key is sk-abcdefghijklmnopqrstuvwx' }] },
      { headers: { 'x-request-id': 'log-completion-1', 'x-sluice-user': 'alice', 'x-sluice-metadata': '{"team":"search"}' } },
    );
    await gateway.flushRequestLog();
    const { status, body } = await admin('/admin/api/logs/log-completion-1');
    expect(status).toBe(200);
    // mock echo: prompt = 3 + 7 words = 10 tokens; completion = 7 words. Price 1 and 2 USD per token.
    expect(body).toMatchObject({
      request_id: 'log-completion-1', endpoint: 'chat.completions', model: 'priced', provider: 'mock', provider_model: 'echo',
      status: 200, stream: false, user: 'alice', metadata: { team: 'search' }, attempts: 1,
      prompt_tokens: 10, completion_tokens: 7, cost_usd: 10 + 14, usage_estimated: false,
    });
    expect(String(body['request_body'])).toContain('[REDACTED]');
    expect(String(body['request_body'])).not.toContain('sk-abcdefghijklmnopqrstuvwx');
    expect(String(body['response_body'])).toContain('[REDACTED]');
    expect(body['attempt_log']).toEqual([expect.objectContaining({ provider: 'mock', model: 'echo', status: 200 })]);
    expect(Number(body['overhead_ms'])).toBeGreaterThanOrEqual(0);
  });

  it('prices a stream from its final usage chunk and records time to first token', async () => {
    upstream.enqueue('/v1/chat/completions', openaiStream({ model: 'gpt-4o-mini', content: ['a', 'b'], usage: { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 } }));
    const stream = await client.chat.completions.create(
      { model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true },
      { headers: { 'x-request-id': 'log-stream-1' } },
    );
    for await (const chunk of stream) expect(chunk).toBeDefined();
    await gateway.flushRequestLog();
    const { body } = await admin('/admin/api/logs/log-stream-1');
    // gpt-4o-mini: 0.15 in + 0.60 out per million tokens.
    expect(body).toMatchObject({ stream: true, status: 200, provider: 'up', prompt_tokens: 1_000_000, completion_tokens: 1_000_000 });
    expect(Number(body['cost_usd'])).toBeCloseTo(0.75, 10);
    expect(body['ttft_ms']).toEqual(expect.any(Number));
  });

  it('estimates tokens with the tokenizer when the upstream reports no usage, and marks the row', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ model: 'gpt-4o', content: 'Hello world', usage: null }));
    await client.chat.completions.create({ model: 'up/gpt-4o', messages: [{ role: 'user', content: 'Hello world' }] }, { headers: { 'x-request-id': 'log-estimated-1' } });
    await gateway.flushRequestLog();
    const { body } = await admin('/admin/api/logs/log-estimated-1');
    expect(body).toMatchObject({ usage_estimated: true, prompt_tokens: 8, completion_tokens: 2 });
    expect(Number(body['cost_usd'])).toBeCloseTo((8 * 2.5 + 2 * 10) / 1e6, 12);
  });

  it('logs errors and refusals: unknown model, bad key, invalid body', async () => {
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'log-error-1' } })).rejects.toThrow();
    const badKey = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'sk-wrong-key-0000', maxRetries: 0 });
    await expect(badKey.chat.completions.create({ model: 'priced', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'log-refused-1' } })).rejects.toThrow();
    const invalid = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'x-request-id': 'log-invalid-1' }, body: '{"model": 5}',
    });
    expect(invalid.status).toBe(400);
    await gateway.flushRequestLog();
    expect((await admin('/admin/api/logs/log-error-1')).body).toMatchObject({ status: 404, error_code: 'model_not_found', model: 'nope' });
    // Refused before the body is read: no model is known.
    expect((await admin('/admin/api/logs/log-refused-1')).body).toMatchObject({ status: 401, error_code: 'invalid_api_key', key_id: null });
    expect((await admin('/admin/api/logs/log-invalid-1')).body).toMatchObject({ status: 400, error_code: 'invalid_request' });
    const errors = await admin('/admin/api/logs?status=error&limit=10');
    expect(z.array(z.unknown()).parse(errors.body['data'])).toHaveLength(3);
    const search = await admin('/admin/api/logs?q=search');
    expect(search.body['data']).toEqual([expect.objectContaining({ request_id: 'log-completion-1' })]);
  });

  it('leaves exactly 1,000 rows for 1,000 concurrent requests', async () => {
    const before = await gateway.database.requestLog.count({});
    const agent = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
    const results = await Promise.allSettled(Array.from({ length: 1000 }, (_, index) =>
      agent.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: `n ${index}` }] }, { headers: { 'x-sluice-user': 'load' } })));
    expect(results.filter((result) => result.status === 'rejected').map((result) => String(result.reason))).toEqual([]);
    await gateway.flushRequestLog();
    expect(await gateway.database.requestLog.count({})).toBe(before + 1000);
    const summary = await admin('/admin/api/analytics/summary?group_by=user&since=1h');
    const load = z.array(z.record(z.string(), z.unknown())).parse(summary.body['data']).find((group) => group['group'] === 'load');
    // echo: prompt 3 + 2 words = 5, completion 2 words per request.
    expect(load).toMatchObject({ requests: 1000, errors: 0, prompt_tokens: 5000, completion_tokens: 2000 });
  });

  it('serves the analytics endpoints and rejects bad parameters', async () => {
    const series = await admin('/admin/api/analytics/timeseries?bucket=minute&since=1h');
    expect(series.status).toBe(200);
    const total = z.array(z.object({ requests: z.number() })).parse(series.body['data']).reduce((sum, point) => sum + point.requests, 0);
    expect(total).toBe(await gateway.database.requestLog.count({}));
    expect((await admin('/admin/api/analytics/errors')).body['data']).toEqual(expect.arrayContaining([
      { error_code: 'model_not_found', count: 1 }, { error_code: 'invalid_api_key', count: 1 },
    ]));
    expect((await admin('/admin/api/analytics/cost-by-user')).body['data']).toEqual(expect.arrayContaining([
      expect.objectContaining({ user: 'alice', requests: 1, cost_usd: 24 }),
    ]));
    expect((await admin('/admin/api/analytics/summary?group_by=colour')).status).toBe(400);
    expect((await admin('/admin/api/logs?cursor=zzz')).status).toBe(400);
    expect((await fetch(`${baseUrl}/admin/api/logs`)).status).toBe(401);
    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/sluice_request_log_rows_written_total \d+/);
    const ready = await (await fetch(`${baseUrl}/health/ready`)).json();
    expect(ready).toMatchObject({ status: 'ready', checks: { database: { status: 'ok' } } });
  });
});
