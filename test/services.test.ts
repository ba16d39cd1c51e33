import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  anthropicMessage, geminiResponse, openaiCompletion, openaiError, startMockUpstream,
} from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const invoiceSchema = {
  type: 'object',
  required: ['vendor', 'total'],
  additionalProperties: false,
  properties: { vendor: { type: 'string' }, total: { type: 'number' } },
};
const template = { messages: [{ role: 'system' as const, content: 'Extract the invoice.' }, { role: 'user' as const, content: 'Invoice: {{text}}' }] };
const invoiceInput = { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1 } } };
const invoiceService = (name: string, model: string, extra: Record<string, unknown> = {}) => ({
  name, model, template, input_schema: invoiceInput, output_schema: invoiceSchema, max_reasks: 1, ...extra,
});
// One dollar per prompt token, two per completion token: each mock call (5 in, 3 out) costs 11.
const pricing = { input_per_mtok: 1_000_000, output_per_mtok: 2_000_000 };
const retry = { max_attempts: 1 };

const envelopeSchema = z.object({
  success: z.boolean(),
  service: z.string().nullable(),
  data: z.unknown(),
  error: z.object({
    message: z.string(),
    code: z.string(),
    param: z.string().optional(),
    details: z.object({
      issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      attempts: z.number(),
      finish_reason: z.string().nullable().optional(),
    }).optional(),
  }).nullable(),
  request_id: z.string(),
  meta: z.object({
    model: z.string().nullable(),
    provider: z.string().nullable(),
    provider_model: z.string().nullable(),
    attempts: z.number(),
    reasks: z.number(),
    fixes: z.array(z.string()),
    usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() }).nullable(),
    cost_usd: z.number(),
    duration_ms: z.number(),
  }).optional(),
});

describe('AI services through HTTP with a scripted upstream', () => {
  let upstream: MockUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    gateway = await startTestGateway({
      logging: { level: 'silent', log_bodies: true, request_log: { flush_interval_ms: 50 } },
      providers: [
        { name: 'up', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-secret-1234' },
        { name: 'claude', type: 'anthropic', base_url: upstream.url, api_key: 'sk-ant-secret-1234' },
        { name: 'gem', type: 'gemini', base_url: upstream.url, api_key: 'gemini-secret-1234' },
      ],
      models: [
        { name: 'smart', targets: [{ provider: 'up', model: 'gpt-4o-mini' }], pricing, retry },
        { name: 'sonnet', targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }], pricing, retry },
        { name: 'flash', targets: [{ provider: 'gem', model: 'gemini-2.5-flash' }], pricing, retry },
      ],
      services: [
        invoiceService('extract_invoice', 'smart'),
        invoiceService('invoice_claude', 'sonnet'),
        invoiceService('invoice_gemini', 'flash'),
        invoiceService('invoice_tool', 'smart', { structured_output: 'tool' }),
        invoiceService('invoice_loose', 'smart', { output_schema: { type: 'object', required: ['total'], properties: { total: { type: 'number' } } } }),
        invoiceService('invoice_quick', 'smart', { timeout_ms: 300 }),
        invoiceService('invoice_cached', 'smart', { cache: { enabled: true, ttl_s: 600 } }),
        { name: 'from_registry', model: 'smart', prompt: { name: 'invoice', label: 'production' }, output_schema: invoiceSchema },
        { name: 'from_missing_prompt', model: 'smart', prompt: { name: 'no_such_prompt' } },
        { name: 'summarise', type: 'text', model: 'smart', template: { messages: [{ role: 'user' as const, content: 'Summarise: {{text}}' }] } },
      ],
    });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.reset();
  });

  async function call(method: string, path: string, body?: unknown, key: string = TEST_MASTER_KEY, rawBody?: string) {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined && rawBody === undefined ? {} : { 'content-type': 'application/json' }) },
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text === '' ? null : JSON.parse(text) as unknown };
  }

  async function runService(name: string, body: unknown, key?: string) {
    const response = await call('POST', `/v1/services/${name}/run`, body, key);
    return { ...response, envelope: envelopeSchema.parse(response.json) };
  }

  async function createKey(body: Record<string, unknown>): Promise<string> {
    const { status, json } = await call('POST', '/admin/api/keys', body);
    expect(status).toBe(201);
    return z.object({ key: z.string() }).parse(json).key;
  }

  function upstreamBody(index: number): Record<string, unknown> {
    return z.record(z.string(), z.unknown()).parse(upstream.requests[index]?.body);
  }

  it('a service naming a registry prompt sends the labelled version rendered with its input, and says which version', async () => {
    const created = await call('POST', '/admin/api/prompts', {
      name: 'invoice', template: [{ role: 'system', content: 'Extract the invoice.' }, { role: 'user', content: 'Invoice: {{text}}' }],
      model_config: { temperature: 0.2 }, labels: ['production'],
    });
    expect(created.status).toBe(201);
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: '{"vendor": "ACME", "total": 3}' }));
    const { status, headers, envelope, json } = await runService('from_registry', { input: { text: 'ACME, 3 EUR' } });
    expect(status).toBe(200);
    expect(envelope).toMatchObject({ success: true, data: { vendor: 'ACME', total: 3 } });
    expect(z.object({ meta: z.object({ prompt: z.unknown() }) }).parse(json).meta.prompt)
      .toEqual({ name: 'invoice', version: 1, label: 'production' });
    expect(headers.get('x-sluice-prompt-version')).toBe('1');
    const sent = upstreamBody(0);
    expect(sent['messages']).toEqual([{ role: 'system', content: 'Extract the invoice.' }, { role: 'user', content: 'Invoice: ACME, 3 EUR' }]);
    expect(sent['temperature']).toBe(0.2);

    const missing = await runService('from_registry', { input: {} });
    expect(missing.status).toBe(400);
    expect(missing.envelope.error).toMatchObject({ code: 'invalid_request', param: 'input.text' });
  });

  it('a bad first answer and a good second one: reasks 1, two attempt rows, summed cost', async () => {
    upstream.enqueue('/v1/chat/completions',
      openaiCompletion({ content: '{"vendor": "ACME", "total": "12.50"}' }),
      openaiCompletion({ content: '```json\n{"vendor": "ACME", "total": 12.5}\n```' }));
    const { status, headers, envelope } = await runService('extract_invoice', { input: { text: 'ACME, total 12.50 EUR' } });
    expect(status).toBe(200);
    expect(envelope).toMatchObject({
      success: true, service: 'extract_invoice', data: { vendor: 'ACME', total: 12.5 }, error: null,
      meta: { model: 'smart', provider: 'up', provider_model: 'gpt-4o-mini', attempts: 2, reasks: 1, fixes: ['strip_fence'], cost_usd: 22,
        usage: { prompt_tokens: 10, completion_tokens: 6, total_tokens: 16 } },
    });
    expect(headers.get('x-sluice-attempts')).toBe('2');
    expect(headers.get('x-sluice-attempt-trail')).toMatch(/kind=first.*kind=reask/);
    expect(headers.get('x-sluice-json-fixes')).toBe('strip_fence');
    // The re-ask carries the answer and what was wrong with it.
    const reask = z.array(z.object({ role: z.string(), content: z.string() })).parse(upstreamBody(1)['messages']);
    expect(reask.at(-2)).toEqual({ role: 'assistant', content: '{"vendor": "ACME", "total": "12.50"}' });
    expect(reask.at(-1)?.content).toContain('- /total: must be number');

    await gateway.gateway.flushRequestLog();
    const row = await gateway.gateway.database.requestLog.get(envelope.request_id, {});
    expect(row).toMatchObject({
      serviceName: 'extract_invoice', endpoint: 'services.run', statusCode: 200, costUsd: 22, reaskCount: 1, outputValid: true,
      jsonFixes: ['strip_fence'], promptTokens: 10, completionTokens: 6,
    });
    expect(row?.attempts.map((attempt) => attempt.kind)).toEqual(['first', 'reask']);
  });

  it('a cached service answers a second identical run from the cache: no upstream call, cost 0, a hit in the log', async () => {
    upstream.enqueue('/v1/chat/completions',
      openaiCompletion({ content: '{"vendor": "ACME", "total": "7"}' }),
      openaiCompletion({ content: '{"vendor": "ACME", "total": 7}' }));
    const first = await runService('invoice_cached', { input: { text: 'ACME, 7 EUR (cached)' } });
    expect(first.envelope).toMatchObject({ success: true, data: { vendor: 'ACME', total: 7 }, meta: { attempts: 2, reasks: 1, cost_usd: 22 } });
    expect(z.object({ meta: z.object({ cache: z.unknown() }) }).parse(first.json).meta.cache).toMatchObject({ status: 'miss' });
    // The write happens off the response path: wait (with a deadline) until the entry is there.
    const stored = await vi.waitFor(async () => {
      const page = await gateway.gateway.cacheStore.list({ model: 'smart', limit: 10 }, Date.now());
      const entry = page.entries.find((candidate) => candidate.originRequestId === first.envelope.request_id);
      if (entry === undefined) throw new Error('not stored yet');
      return entry;
    }, { timeout: 5000, interval: 20 });
    // The service's ttl_s, not the cache block's default.
    expect(stored.expiresAt - stored.createdAt).toBe(600_000);
    expect(stored.costUsd).toBe(22);

    const second = await runService('invoice_cached', { input: { text: 'ACME, 7 EUR (cached)' } });
    expect(second.status).toBe(200);
    expect(second.envelope).toMatchObject({ success: true, data: { vendor: 'ACME', total: 7 }, meta: { attempts: 0, reasks: 0, cost_usd: 0, usage: null } });
    expect(z.object({ meta: z.object({ cache: z.unknown() }) }).parse(second.json).meta.cache)
      .toMatchObject({ status: 'hit', origin_request_id: first.envelope.request_id });
    expect(second.headers.get('x-sluice-cache')).toBe('hit');
    expect(upstream.requests).toHaveLength(2);

    // Another input is another key: it calls the model.
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: '{"vendor": "Initech", "total": 9}' }));
    const other = await runService('invoice_cached', { input: { text: 'Initech, 9 EUR (cached)' } });
    expect(other.envelope).toMatchObject({ success: true, data: { vendor: 'Initech', total: 9 }, meta: { attempts: 1 } });
    expect(upstream.requests).toHaveLength(3);

    await gateway.gateway.flushRequestLog();
    const row = await gateway.gateway.database.requestLog.get(second.envelope.request_id, {});
    expect(row).toMatchObject({
      serviceName: 'invoice_cached', statusCode: 200, cacheStatus: 'hit', cacheOriginRequestId: first.envelope.request_id,
      costUsd: 0, outputValid: true, reaskCount: 0,
    });
    expect(row?.attempts).toHaveLength(0);
    const firstRow = await gateway.gateway.database.requestLog.get(first.envelope.request_id, {});
    expect(firstRow).toMatchObject({ cacheStatus: 'miss', costUsd: 22 });
  });

  it('a service with its cache off calls the model on every identical run', async () => {
    upstream.enqueue('/v1/chat/completions',
      openaiCompletion({ content: '{"vendor": "ACME", "total": 1}' }),
      openaiCompletion({ content: '{"vendor": "ACME", "total": 1}' }));
    const first = await runService('extract_invoice', { input: { text: 'ACME, 1 EUR (uncached)' } });
    const second = await runService('extract_invoice', { input: { text: 'ACME, 1 EUR (uncached)' } });
    expect(first.envelope).toMatchObject({ success: true, meta: { attempts: 1 } });
    expect(second.envelope).toMatchObject({ success: true, meta: { attempts: 1 } });
    expect(z.object({ meta: z.object({ cache: z.unknown() }) }).parse(second.json).meta.cache).toBeNull();
    expect(upstream.requests).toHaveLength(2);
  });

  it('two bad answers: output_validation_failed with the issues, and the log says the output was invalid', async () => {
    upstream.enqueue('/v1/chat/completions',
      openaiCompletion({ content: '{"vendor": "ACME", "total": "12"}' }),
      openaiCompletion({ content: '{"vendor": "ACME", "total": "twelve", "note": "x"}' }));
    const { status, envelope } = await runService('extract_invoice', { input: { text: 'ACME' } });
    expect(status).toBe(502);
    expect(envelope).toMatchObject({
      success: false, data: null,
      error: { code: 'output_validation_failed', message: 'Model output did not match the output schema after 2 attempts',
        details: { attempts: 2, finish_reason: 'stop' } },
      meta: { attempts: 2, reasks: 1, cost_usd: 22 },
    });
    expect(envelope.error?.details?.issues).toEqual(expect.arrayContaining([
      { path: '/total', message: 'must be number' }, { path: '/note', message: 'is not allowed by the schema' },
    ]));
    await gateway.gateway.flushRequestLog();
    const row = await gateway.gateway.database.requestLog.get(envelope.request_id, {});
    expect(row).toMatchObject({ statusCode: 502, errorCode: 'output_validation_failed', outputValid: false, reaskCount: 1, costUsd: 22 });
    expect(row?.attempts).toHaveLength(2);
  });

  it('a truncated answer is not accepted: a re-ask with twice the room, then json_parse_error with the finish reason', async () => {
    upstream.enqueue('/v1/chat/completions',
      openaiCompletion({ content: '{"vendor": "ACME", "total": 12', finishReason: 'length' }),
      openaiCompletion({ content: '{"vendor": "ACME", "to', finishReason: 'length' }));
    const { status, envelope } = await runService('extract_invoice', { input: { text: 'ACME' } });
    expect(status).toBe(502);
    expect(envelope.error).toMatchObject({ code: 'json_parse_error', details: { attempts: 2, finish_reason: 'length' } });
    expect(envelope.error?.message).toMatch(/cut off/);
    expect(upstreamBody(1)['max_tokens']).toBe(6);
  });

  it('a truncated first answer and a complete second one succeed', async () => {
    upstream.enqueue('/v1/chat/completions',
      openaiCompletion({ content: '{"vendor": "ACME", "total": 1', finishReason: 'length' }),
      openaiCompletion({ content: '{"vendor": "ACME", "total": 12}' }));
    const { status, envelope } = await runService('extract_invoice', { input: { text: 'ACME' } });
    expect(status).toBe(200);
    expect(envelope.data).toEqual({ vendor: 'ACME', total: 12 });
    expect(envelope.meta?.reasks).toBe(1);
  });

  it('OpenAI receives json_schema strict when the schema fits strict mode, strict false when it does not', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: '{"vendor": "A", "total": 1}' }), openaiCompletion({ content: '{"total": 1}' }));
    await runService('extract_invoice', { input: { text: 'A' } });
    await runService('invoice_loose', { input: { text: 'A' } });
    expect(upstreamBody(0)['response_format']).toEqual({ type: 'json_schema', json_schema: { name: 'extract_invoice', schema: invoiceSchema, strict: true } });
    expect(upstreamBody(1)['response_format']).toMatchObject({ type: 'json_schema', json_schema: { name: 'invoice_loose', strict: false } });
    expect(z.array(z.object({ content: z.string() })).parse(upstreamBody(0)['messages']).at(-1)?.content).toBe('Invoice: A');
  });

  it('Anthropic receives a forced tool whose input schema is the output schema', async () => {
    upstream.enqueue('/v1/messages', anthropicMessage({ toolUses: [{ id: 'toolu_1', name: 'sluice_json_output', input: { vendor: 'ACME', total: 3 } }] }));
    const { status, envelope } = await runService('invoice_claude', { input: { text: 'ACME' } });
    expect(status).toBe(200);
    expect(envelope.data).toEqual({ vendor: 'ACME', total: 3 });
    const body = upstreamBody(0);
    expect(upstream.requests[0]?.path).toBe('/v1/messages');
    expect(body['tool_choice']).toEqual({ type: 'tool', name: 'sluice_json_output' });
    expect(body['tools']).toEqual([expect.objectContaining({ name: 'sluice_json_output', input_schema: invoiceSchema })]);
  });

  it('Gemini receives a response schema with JSON mode', async () => {
    upstream.enqueue('/v1beta/models/gemini-2.5-flash:generateContent', geminiResponse({ text: '{"vendor": "ACME", "total": 4}' }));
    const { status, envelope } = await runService('invoice_gemini', { input: { text: 'ACME' } });
    expect(status).toBe(200);
    expect(envelope.data).toEqual({ vendor: 'ACME', total: 4 });
    expect(upstreamBody(0)['generationConfig']).toMatchObject({ responseMimeType: 'application/json', responseJsonSchema: invoiceSchema });
  });

  it('tool mode forces a function whose arguments are the answer', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ toolCalls: [{ id: 'call_1', name: 'submit_output', arguments: "{'vendor': 'ACME', 'total': 5,}" }] }));
    const { status, envelope } = await runService('invoice_tool', { input: { text: 'ACME' } });
    expect(status).toBe(200);
    expect(envelope).toMatchObject({ data: { vendor: 'ACME', total: 5 }, meta: { fixes: ['repair'] } });
    expect(upstreamBody(0)['tool_choice']).toEqual({ type: 'function', function: { name: 'submit_output' } });
    expect(upstreamBody(0)['tools']).toEqual([expect.objectContaining({ function: expect.objectContaining({ name: 'submit_output', parameters: invoiceSchema }) })]);
  });

  it('fix_json repairs locally with zero upstream calls and cost 0', async () => {
    const { status, headers, envelope } = await runService('fix_json', { input: { text: "Sure:\n```json\n{name: 'a', ok: True,}\n```" } });
    expect(status).toBe(200);
    expect(envelope).toMatchObject({ success: true, data: { name: 'a', ok: true }, meta: { model: null, attempts: 0, cost_usd: 0, fixes: ['strip_fence', 'repair'] } });
    expect(headers.get('x-sluice-attempts')).toBe('0');
    expect(upstream.requests).toHaveLength(0);
  });

  it('fix_json asks the model only when local repair cannot help', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: '{"name": "a"}' }));
    const { status, envelope } = await runService('fix_json', { input: { text: 'the name is a' }, options: { model: 'smart' } });
    expect(status).toBe(200);
    expect(envelope).toMatchObject({ data: { name: 'a' }, meta: { model: 'smart', attempts: 1 } });
    expect(upstream.requests).toHaveLength(1);
    expect(upstreamBody(0)['response_format']).toEqual({ type: 'json_object' });
  });

  it('a text service answers the model text', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Short summary.' }));
    const { status, envelope } = await runService('summarise', { input: { text: 'long text' } });
    expect(status).toBe(200);
    expect(envelope.data).toBe('Short summary.');
    expect(upstreamBody(0)['response_format']).toBeUndefined();
  });

  it('the single-endpoint form takes the service from the body', async () => {
    const { status, json } = await call('POST', '/v1/services/run', { service: 'fix_json', input: { text: '{"a": 1,}' } });
    expect(status).toBe(200);
    expect(envelopeSchema.parse(json)).toMatchObject({ success: true, service: 'fix_json', data: { a: 1 } });
  });

  describe('every error code answers its status inside the envelope', () => {
    const cases: Array<{ code: string; status: number; run: () => Promise<{ status: number; json: unknown }>; param?: string }> = [
      { code: 'unknown_service', status: 404, run: () => call('POST', '/v1/services/nope/run', { input: {} }) },
      { code: 'invalid_request', status: 400, param: 'input.text', run: () => call('POST', '/v1/services/extract_invoice/run', { input: { text: '' } }) },
      { code: 'invalid_request', status: 400, param: 'input.text', run: () => call('POST', '/v1/services/extract_invoice/run', { input: {} }) },
      { code: 'invalid_request', status: 400, param: 'input', run: () => call('POST', '/v1/services/extract_invoice/run', { input: 'text' }) },
      { code: 'invalid_request', status: 400, param: 'options.max_reasks', run: () => call('POST', '/v1/services/fix_json/run', { input: { text: '{}' }, options: { max_reasks: 9 } }) },
      { code: 'invalid_json', status: 400, run: () => call('POST', '/v1/services/fix_json/run', undefined, TEST_MASTER_KEY, '{not json') },
      { code: 'missing_api_key', status: 401, run: async () => {
        const response = await fetch(`${gateway.url}/v1/services/fix_json/run`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
        return { status: response.status, json: await response.json() };
      } },
      { code: 'invalid_api_key', status: 401, run: () => call('POST', '/v1/services/fix_json/run', { input: { text: '{}' } }, 'sk-sluice-nope') },
      { code: 'model_not_allowed', status: 403, run: async () => call('POST', '/v1/services/fix_json/run', { input: { text: '{}' } }, await createKey({ name: 'only-invoices', services: ['extract_invoice'] })) },
      { code: 'model_not_allowed', status: 403, param: 'model', run: async () => call('POST', '/v1/services/fix_json/run', { input: { text: 'no json' }, options: { model: 'sonnet' } }, await createKey({ name: 'only-smart', models: ['smart'] })) },
      { code: 'rate_limit_exceeded', status: 429, run: async () => {
        const key = await createKey({ name: 'one-per-minute', limits: { rpm: 1 } });
        upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: '{"vendor": "A", "total": 1}' }));
        await call('POST', '/v1/services/extract_invoice/run', { input: { text: 'A' } }, key);
        return call('POST', '/v1/services/extract_invoice/run', { input: { text: 'A' } }, key);
      } },
      { code: 'provider_error', status: 502, run: () => {
        upstream.enqueue('/v1/chat/completions', openaiError(500, 'upstream exploded'));
        return call('POST', '/v1/services/extract_invoice/run', { input: { text: 'A' } });
      } },
      { code: 'provider_timeout', status: 504, run: () => {
        upstream.enqueue('/v1/chat/completions', { kind: 'hang' });
        return call('POST', '/v1/services/invoice_quick/run', { input: { text: 'A' } });
      } },
      { code: 'json_parse_error', status: 502, run: () => {
        upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'I cannot help with that.' }), openaiCompletion({ content: 'Still no.' }));
        return call('POST', '/v1/services/extract_invoice/run', { input: { text: 'A' } });
      } },
      { code: 'output_validation_failed', status: 502, run: () => {
        upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: '{"vendor": 1}' }), openaiCompletion({ content: '{"vendor": 2}' }));
        return call('POST', '/v1/services/extract_invoice/run', { input: { text: 'A' } });
      } },
      { code: 'not_found', status: 404, run: () => call('POST', '/v1/services/from_missing_prompt/run', { input: {} }) },
    ];
    for (const example of cases) {
      it(`${example.code} → ${example.status}${example.param === undefined ? '' : ` (param ${example.param})`}`, async () => {
        const { status, json } = await example.run();
        expect(status).toBe(example.status);
        const envelope = envelopeSchema.parse(json);
        expect(envelope).toMatchObject({ success: false, data: null, error: { code: example.code } });
        if (example.param !== undefined) expect(envelope.error?.param).toBe(example.param);
        expect(envelope.request_id).toMatch(/\S/);
        const text = JSON.stringify(json);
        expect(text).not.toMatch(/secret|at .*\.ts:\d+|stack/);
      });
    }
  });

  it('GET /v1/services lists what the key may call, with schemas', async () => {
    const all = z.object({ data: z.array(z.object({ name: z.string(), input_schema: z.unknown(), output_schema: z.unknown() })) })
      .parse((await call('GET', '/v1/services')).json);
    expect(all.data.map((service) => service.name)).toEqual(expect.arrayContaining(['fix_json', 'extract_invoice', 'summarise']));
    expect(all.data.find((service) => service.name === 'extract_invoice')?.output_schema).toEqual(invoiceSchema);
    const key = await createKey({ name: 'invoices-only', services: ['extract_invoice'] });
    const narrow = z.object({ data: z.array(z.object({ name: z.string() })) }).parse((await call('GET', '/v1/services', undefined, key)).json);
    expect(narrow.data.map((service) => service.name)).toEqual(['extract_invoice']);
  });

  it('admin CRUD: a tenant defines its own service, file-defined ones stay read-only', async () => {
    const adminKey = await createKey({ name: 'acme-admin', tenant: 'acme', role: 'tenant_admin' });
    const clientKey = await createKey({ name: 'acme-app', tenant: 'acme' });
    const created = await call('POST', '/admin/api/services', { name: 'acme_fix', description: 'ours', local_first: true, max_reasks: 0 }, adminKey);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'acme_fix', tenant: 'acme', source: 'admin', read_only: false, max_reasks: 0 });
    expect((await call('POST', '/admin/api/services', { name: 'acme_fix' }, adminKey)).status).toBe(400);
    expect((await call('POST', '/admin/api/services', { name: 'bad', output_schema: { type: 'objekt' } }, adminKey)).json)
      .toMatchObject({ error: { code: 'invalid_request', param: 'output_schema' } });
    expect((await call('POST', '/admin/api/services', { name: 'bad', model: 'nope' }, adminKey)).json)
      .toMatchObject({ error: { code: 'invalid_request', param: 'model' } });

    const ran = await runService('acme_fix', { input: { text: '{"a": 1,}' } }, clientKey);
    expect(ran.envelope).toMatchObject({ success: true, data: { a: 1 } });
    // Other tenants do not see it.
    expect((await runService('acme_fix', { input: { text: '{}' } })).status).toBe(404);

    const patched = await call('PATCH', '/admin/api/services/acme_fix', { description: 'changed' }, adminKey);
    expect(patched.json).toMatchObject({ name: 'acme_fix', description: 'changed', local_first: true });
    const list = z.object({ data: z.array(z.object({ name: z.string(), read_only: z.boolean() })) }).parse((await call('GET', '/admin/api/services', undefined, adminKey)).json);
    expect(list.data).toEqual(expect.arrayContaining([{ ...list.data.find((item) => item.name === 'acme_fix'), name: 'acme_fix', read_only: false }]));
    expect(list.data.find((item) => item.name === 'extract_invoice')?.read_only).toBe(true);

    expect((await call('PUT', '/admin/api/services/extract_invoice', { name: 'extract_invoice' }, adminKey)).status).toBe(403);
    expect((await call('DELETE', '/admin/api/services/fix_json', undefined, adminKey)).status).toBe(403);
    expect((await call('GET', '/admin/api/services', undefined, clientKey)).status).toBe(403);
    expect((await call('DELETE', '/admin/api/services/acme_fix', undefined, adminKey)).status).toBe(204);
    expect((await runService('acme_fix', { input: { text: '{}' } }, clientKey)).status).toBe(404);
  });
});
