import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const fencedCommented = 'Here you go:\n```json\n{\n  // the city\n  "city": "Paris",\n  "population": 2102650,\n}\n```';
const schema = { type: 'object', required: ['city', 'population'], properties: { city: { type: 'string' }, population: { type: 'integer' } } };

describe('JSON healing on plain chat completions', () => {
  let upstream: MockUpstream;
  let gateway: TestGateway;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    gateway = await startTestGateway({
      logging: { level: 'silent', request_log: { flush_interval_ms: 50 } },
      providers: [{ name: 'up', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-1234' }],
      models: [{ name: 'smart', targets: [{ provider: 'up', model: 'gpt-4o-mini' }], retry: { max_attempts: 1 } }],
    });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });
  beforeEach(() => {
    upstream.reset();
  });

  it('the openai client with x-sluice-json-repair gets parseable JSON from a fenced, commented answer', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: fencedCommented }));
    const { data, response } = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: 'Capital of France as JSON' }],
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema } },
    }, { headers: { 'x-sluice-json-repair': 'true' } }).withResponse();
    expect(JSON.parse(data.choices[0]?.message.content ?? '')).toEqual({ city: 'Paris', population: 2102650 });
    expect(response.headers.get('x-sluice-json-fixes')).toBe('strip_fence,repair');

    await gateway.gateway.flushRequestLog();
    const row = await gateway.gateway.database.requestLog.get(response.headers.get('x-request-id') ?? '', {});
    expect(row).toMatchObject({ jsonFixes: ['strip_fence', 'repair'], outputValid: true, statusCode: 200 });
  });

  it('OpenRouter\'s response-healing plugin turns it on, and the plugin never goes upstream', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: fencedCommented }));
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' }, plugins: [{ id: 'response-healing' }] }),
    });
    const body = await response.json() as { choices: Array<{ message: { content: string } }> };
    expect(JSON.parse(body.choices[0]?.message.content ?? '')).toEqual({ city: 'Paris', population: 2102650 });
    expect(upstream.requests[0]?.body).not.toHaveProperty('plugins');
  });

  it('tool-call arguments are repaired too', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ toolCalls: [{ id: 'call_1', name: 'lookup', arguments: "{'city': 'Paris',}" }] }));
    const { data, response } = await client.chat.completions.create({
      model: 'smart',
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    }, { headers: { 'x-sluice-json-repair': 'true' } }).withResponse();
    const call = data.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? JSON.parse(call.function.arguments) : null).toEqual({ city: 'Paris' });
    expect(response.headers.get('x-sluice-json-fixes')).toBe('repair');
  });

  it('without the opt-in the answer passes through byte for byte', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: fencedCommented }));
    const { data, response } = await client.chat.completions.create({
      model: 'smart', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' },
    }).withResponse();
    expect(data.choices[0]?.message.content).toBe(fencedCommented);
    expect(response.headers.get('x-sluice-json-fixes')).toBeNull();
  });

  it('valid JSON is left alone, with no fixes header', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: '{"city":"Paris","population":1}' }));
    const { data, response } = await client.chat.completions.create({
      model: 'smart', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' },
    }, { headers: { 'x-sluice-json-repair': 'true' } }).withResponse();
    expect(data.choices[0]?.message.content).toBe('{"city":"Paris","population":1}');
    expect(response.headers.get('x-sluice-json-fixes')).toBeNull();
  });
});
