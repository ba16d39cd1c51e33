import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  openaiCompletion, openaiError, openaiStream, startMockUpstream,
} from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

let upstream: MockUpstream;
let gateway: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gateway = await startTestGateway({
    server: { max_body_bytes: 64 * 1024 },
    providers: [
      { name: 'upstream', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-secret' },
      { name: 'mock', type: 'mock', models: ['echo', 'lorem'] },
      { name: 'dead', type: 'openai', base_url: 'http://127.0.0.1:9/v1', timeout_ms: 2000 },
    ],
    models: [
      // One attempt and no breaker: these tests check how each upstream failure is reported.
      { name: 'smart', targets: [{ provider: 'upstream', model: 'gpt-upstream' }], retry: { max_attempts: 1 }, circuit_breaker: { failure_threshold: 1000 } },
      { name: 'broken', targets: [{ provider: 'dead', model: 'nothing' }] },
    ],
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => upstream.reset());

const hello = [{ role: 'user' as const, content: 'Say hello' }];

describe('chat completions through an OpenAI-compatible upstream', () => {
  it('creates a completion, sends the target model and the upstream key, and returns the upstream body', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Hi there', model: 'gpt-upstream-2026' }));
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages: hello }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hi there');
    expect(data.model).toBe('gpt-upstream-2026');
    expect(data.usage?.total_tokens).toBe(8);
    expect(response.headers.get('x-sluice-provider')).toBe('upstream');
    expect(response.headers.get('x-sluice-model')).toBe('gpt-upstream');
    expect(response.headers.get('x-sluice-attempts')).toBe('1');
    const received = upstream.requests[0];
    expect(received?.path).toBe('/v1/chat/completions');
    expect(received?.headers['authorization']).toBe('Bearer sk-upstream-secret');
    expect(received?.body).toMatchObject({ model: 'gpt-upstream', messages: hello });
  });

  it('keeps fields it does not know and a client x-request-id, passing both upstream', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({}));
    const { response } = await client.chat.completions.create(
      { model: 'smart', messages: hello, logit_bias: { '50256': -100 }, service_tier: 'flex' },
      { headers: { 'x-request-id': 'client-chosen-id-42' } },
    ).withResponse();
    expect(response.headers.get('x-request-id')).toBe('client-chosen-id-42');
    expect(upstream.requests[0]?.headers['x-request-id']).toBe('client-chosen-id-42');
    expect(upstream.requests[0]?.body).toMatchObject({ logit_bias: { '50256': -100 }, service_tier: 'flex' });
  });

  it('mints an x-request-id when the client sends none', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({}));
    const { response } = await client.chat.completions.create({ model: 'smart', messages: hello }).withResponse();
    expect(response.headers.get('x-request-id')).toMatch(/^req_[\w-]{16}$/);
  });

  it('streams chunks through unchanged, asks upstream for usage and drops the usage chunk the client did not ask for', async () => {
    upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['Hel', 'lo'], model: 'gpt-upstream' }));
    const stream = await client.chat.completions.create({ model: 'smart', messages: hello, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(upstream.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello');
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('forwards the usage chunk when the client asks, byte for byte', async () => {
    const reply = openaiStream({ content: ['a', 'b'] });
    upstream.enqueue('/v1/chat/completions', reply);
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages: hello, stream: true, stream_options: { include_usage: true } }),
    });
    const text = await response.text();
    const expected = reply.kind === 'sse'
      ? reply.events.map((event) => `data: ${typeof event.data === 'string' ? event.data : JSON.stringify(event.data)}\n\n`).join('')
      : '';
    expect(text).toBe(`${expected}data: [DONE]\n\n`);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-sluice-provider')).toBe('upstream');
  });

  it('passes tools and tool calls through, streaming and not', async () => {
    const tools = [{
      type: 'function' as const,
      function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    }];
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }));
    const completion = await client.chat.completions.create({ model: 'smart', messages: hello, tools, tool_choice: 'auto' });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message.tool_calls?.[0]).toMatchObject({ id: 'call_1', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
    expect(upstream.requests[0]?.body).toMatchObject({ tools, tool_choice: 'auto' });

    upstream.enqueue('/v1/chat/completions', openaiStream({
      toolCalls: [
        { id: 'call_a', name: 'get_weather', argumentChunks: ['{"city":', '"Paris"}'] },
        { id: 'call_b', name: 'get_time', argumentChunks: ['{}'] },
      ],
    }));
    const final = await client.chat.completions.stream({ model: 'smart', messages: hello, tools }).finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.choices[0]?.message.tool_calls?.map((call) => [call.id, call.type === 'function' ? call.function.arguments : ''])).toEqual([
      ['call_a', '{"city":"Paris"}'],
      ['call_b', '{}'],
    ]);
  });

  it('lists models and embeds, honouring the SDK default base64 encoding and explicit float', async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(expect.arrayContaining(['smart', 'broken', 'mock/echo', 'mock/lorem']));

    const embedded = await client.embeddings.create({ model: 'smart', input: ['one', 'two'] });
    expect(upstream.requests[0]?.body).toMatchObject({ model: 'gpt-upstream', encoding_format: 'base64' });
    expect(embedded.data).toHaveLength(2);
    expect(embedded.data[0]?.embedding[0]).toBeCloseTo(0.1, 5);

    const floats = await client.embeddings.create({ model: 'mock/echo', input: 'hello', encoding_format: 'float' });
    expect(Array.isArray(floats.data[0]?.embedding)).toBe(true);
    expect(floats.data[0]?.embedding).toHaveLength(16);
    const decoded = await client.embeddings.create({ model: 'mock/echo', input: 'hello' });
    decoded.data[0]?.embedding.forEach((value, index) => expect(value).toBeCloseTo(floats.data[0]?.embedding[index] ?? NaN, 5));
  });
});

describe('the mock provider', () => {
  it('echoes, streams lorem within max_tokens, and reports usage', async () => {
    const echo = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'ping pong' }] });
    expect(echo.choices[0]?.message.content).toBe('ping pong');
    expect(echo.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });

    const stream = client.chat.completions.stream({
      model: 'mock/lorem', messages: hello, max_tokens: 4, stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('lorem ipsum dolor sit');
    expect(final.choices[0]?.finish_reason).toBe('length');
    expect(final.usage?.completion_tokens).toBe(4);
  });
});

describe('errors', () => {
  it('answers bad input with the SDK error classes and keeps serving', async () => {
    await expect(client.chat.completions.create({ model: 'smart', messages: [] })).rejects.toMatchObject({
      status: 400, code: 'invalid_request', param: 'messages',
    });
    await expect(client.chat.completions.create({ model: 'smart', messages: hello, temperature: 7 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(client.chat.completions.create({ model: 'nope', messages: hello })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(client.chat.completions.create({ model: 'ghost/model', messages: hello })).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    const stranger = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: 'smart', messages: hello })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const missing = await post('/v1/chat/completions', '{}', {});
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'missing_api_key' } });
    expect(upstream.requests).toHaveLength(0);
    const healthy = await fetch(`${gateway.url}/health`);
    expect(healthy.status).toBe(200);
  });

  it('answers invalid JSON, a missing field, a wrong type and a body over the limit', async () => {
    const invalid = await post('/v1/chat/completions', '{"model": "smart", ');
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 'invalid_json', type: 'invalid_request_error' } });

    const noModel = await post('/v1/chat/completions', JSON.stringify({ messages: hello }));
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toMatchObject({ error: { code: 'invalid_request', param: 'model' } });

    const wrongType = await post('/v1/chat/completions', JSON.stringify({ model: 'smart', messages: hello, stream: 'yes' }));
    expect(await wrongType.json()).toMatchObject({ error: { code: 'invalid_request', param: 'stream' } });

    const large = await post('/v1/chat/completions', JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] }));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: { code: 'body_too_large' } });
    expect(upstream.requests).toHaveLength(0);
  });

  it('turns upstream failures into JSON provider errors: refused, HTML 500, 4xx, reset mid-body', async () => {
    const refused = await post('/v1/chat/completions', JSON.stringify({ model: 'broken', messages: hello }));
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({ error: { code: 'provider_error', type: 'api_error' } });

    upstream.enqueue('/v1/chat/completions', { kind: 'text', status: 500, body: '<html><body>Bad gateway</body></html>' });
    await expect(client.chat.completions.create({ model: 'smart', messages: hello })).rejects.toMatchObject({
      status: 502, code: 'provider_error',
    });

    upstream.enqueue('/v1/chat/completions', openaiError(400, 'context too long', { code: 'context_length_exceeded' }));
    await expect(client.chat.completions.create({ model: 'smart', messages: hello })).rejects.toMatchObject({
      status: 400, code: 'provider_error', message: expect.stringContaining('context too long'),
    });

    upstream.enqueue('/v1/chat/completions', openaiError(429, 'slow down', { headers: { 'retry-after': '7' } }));
    const limited = await post('/v1/chat/completions', JSON.stringify({ model: 'smart', messages: hello }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toMatchObject({ error: { code: 'provider_rate_limited' } });

    upstream.enqueue('/v1/chat/completions', { kind: 'reset-after-bytes', body: JSON.stringify({ id: 'x', object: 'chat.completion' }), bytes: 10 });
    const reset = await post('/v1/chat/completions', JSON.stringify({ model: 'smart', messages: hello }));
    expect(reset.status).toBe(502);
    expect(reset.headers.get('content-type')).toContain('application/json');
  });

  it('ends a stream that fails after its first chunk with one error frame and no [DONE]', async () => {
    upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['a', 'b', 'c', 'd'], resetAfter: 3 }));
    const response = await post('/v1/chat/completions', JSON.stringify({ model: 'smart', messages: hello, stream: true }));
    const text = await response.text();
    const frames = text.split('\n\n').filter((frame) => frame !== '');
    expect(frames.at(-1)).toMatch(/^data: \{"error":\{.*"code":"provider_error"/);
    expect(text).not.toContain('[DONE]');
    expect(frames.filter((frame) => frame.includes('"error"'))).toHaveLength(1);
  });

  it('aborts the upstream call when the client disconnects', async () => {
    upstream.enqueue('/v1/chat/completions', { kind: 'hang' });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'smart', messages: hello }, { signal: controller.signal });
    await upstream.waitForRequests(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await expect(upstream.waitForRequestEnd(0)).resolves.toEqual({ aborted: true });

    upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['a', 'b', 'c', 'd', 'e'], stallAfter: 2 }));
    const streamController = new AbortController();
    const stream = await client.chat.completions.create({ model: 'smart', messages: hello, stream: true }, { signal: streamController.signal });
    await upstream.waitForRequests(2);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    streamController.abort();
    await expect(upstream.waitForRequestEnd(1)).resolves.toEqual({ aborted: true });
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${gateway.url}/v1/unknown`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });
});

function post(path: string, body: string, headers: Record<string, string> = { authorization: `Bearer ${TEST_MASTER_KEY}` }): Promise<Response> {
  return fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

describe('upstream answers that are not OpenAI-shaped', () => {
  it('turns a 200 without choices, or with malformed usage, into a JSON provider error', async () => {
    upstream.enqueue('/v1/chat/completions', { kind: 'json', body: { hello: 'world' } });
    await expect(client.chat.completions.create({ model: 'smart', messages: hello })).rejects.toMatchObject({
      status: 502, code: 'provider_error',
    });
    upstream.enqueue('/v1/chat/completions', { kind: 'json', body: { choices: [], usage: { prompt_tokens: 'many' } } });
    await expect(client.chat.completions.create({ model: 'smart', messages: hello })).rejects.toMatchObject({
      status: 502, code: 'provider_error',
    });
  });
});

describe('a stream with no chunks at all', () => {
  it('is a JSON provider error for the client and a failure in the request log', async () => {
    const summaries: Array<{ status: number; errorCode: string | null }> = [];
    const unsubscribe = gateway.gateway.events.subscribe((event) => {
      if (event.type === 'request-end') summaries.push({ status: event.summary.status, errorCode: event.summary.errorCode });
    });
    try {
      upstream.enqueue('/v1/chat/completions', { kind: 'sse', events: [], done: true });
      const response = await post('/v1/chat/completions', JSON.stringify({ model: 'smart', messages: hello, stream: true }));
      expect(response.status).toBe(502);
      expect(await response.json()).toMatchObject({ error: { code: 'provider_error' } });
      await expect.poll(() => summaries).toEqual([{ status: 502, errorCode: 'provider_error' }]);
    } finally {
      unsubscribe();
    }
  });
});

describe('readiness', () => {
  it('reports the database, Redis and every provider, with no secret in it', async () => {
    const response = await fetch(`${gateway.url}/health/ready`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      status: 'ready',
      checks: {
        database: { status: 'ok' },
        redis: { status: 'not_configured' },
        providers: { upstream: { circuit: 'closed' }, mock: { circuit: 'closed' } },
      },
    });
    expect(text).not.toContain('sk-upstream-secret');
  });
});
