import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestSummary } from '../src/core/index.js';
import { MASTER_PRINCIPAL } from '../src/policies/index.js';
import { startTestGateway, TEST_MASTER_KEY } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

/** A port nothing listens on: calls to it are refused at once. */
const DEAD_UPSTREAM = 'http://127.0.0.1:9/v1';

const ENDPOINTS = {
  'chat.completions': { path: '/v1/chat/completions', body: { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] } },
  messages: { path: '/v1/messages', body: { model: 'mock/echo', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] } },
  embeddings: { path: '/v1/embeddings', body: { model: 'mock/echo', input: 'hi' } },
} as const;

type Endpoint = keyof typeof ENDPOINTS;

describe('one request lifecycle for every inference endpoint', () => {
  let test: TestGateway;
  let limitedKey: string;
  const summaries: RequestSummary[] = [];

  beforeAll(async () => {
    test = await startTestGateway({
      logging: { level: 'silent' },
      providers: [
        { name: 'mock', type: 'mock' },
        { name: 'dead', type: 'openai', base_url: DEAD_UPSTREAM, api_key: 'sk-dead' },
      ],
      models: [
        { name: 'falls-back', targets: [{ provider: 'dead', model: 'gone' }, { provider: 'mock', model: 'echo' }], retry: { max_attempts: 1 } },
        { name: 'broken', targets: [{ provider: 'dead', model: 'gone' }], retry: { max_attempts: 1 } },
      ],
    });
    test.gateway.events.subscribe((event) => {
      if (event.type === 'request-end') summaries.push(event.summary);
    });
    limitedKey = (await test.gateway.keys.create(MASTER_PRINCIPAL, { name: 'limited', limits: { rpm: 1 } })).key;
  });
  afterAll(() => test.close());

  async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${test.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  }

  /** Sends one request and returns its answer and every request-end it left (normally one). */
  async function send(path: string, body: string | Buffer, headers: Record<string, string>): Promise<{ response: Response; ends: RequestSummary[] }> {
    const response = await post(path, body, headers);
    await response.arrayBuffer();
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    // The event is emitted before the answer's last byte; give a stream's finally a tick.
    await new Promise((resolve) => setImmediate(resolve));
    return { response, ends: summaries.filter((summary) => summary.requestId === requestId) };
  }

  const bearer = { authorization: `Bearer ${TEST_MASTER_KEY}` };
  const refusals: Array<{ name: string; code: string; status: number; request: (endpoint: Endpoint) => [string | Buffer, Record<string, string>] }> = [
    { name: 'no key', code: 'missing_api_key', status: 401, request: (endpoint) => [JSON.stringify(ENDPOINTS[endpoint].body), {}] },
    { name: 'a wrong key', code: 'invalid_api_key', status: 401, request: (endpoint) => [JSON.stringify(ENDPOINTS[endpoint].body), { authorization: 'Bearer sk-wrong' }] },
    { name: 'a body that is not JSON', code: 'invalid_json', status: 400, request: () => ['{"model": ', bearer] },
    { name: 'a body that is not UTF-8', code: 'invalid_json', status: 400, request: () => [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), bearer] },
    { name: 'a body that fails validation', code: 'invalid_request', status: 400, request: () => [JSON.stringify({ model: 'mock/echo' }), bearer] },
    { name: 'an unknown model', code: 'model_not_found', status: 404, request: (endpoint) => [JSON.stringify({ ...ENDPOINTS[endpoint].body, model: 'nobody/knows' }), bearer] },
    { name: 'a model id with a line break (it would break a header)', code: 'invalid_request', status: 400, request: (endpoint) => [JSON.stringify({ ...ENDPOINTS[endpoint].body, model: 'mock/echo\r\nx-evil: 1' }), bearer] },
    { name: 'an over-long model id', code: 'invalid_request', status: 400, request: (endpoint) => [JSON.stringify({ ...ENDPOINTS[endpoint].body, model: `mock/${'m'.repeat(300)}` }), bearer] },
    { name: 'an over-long x-sluice-user', code: 'invalid_request', status: 400, request: (endpoint) => [JSON.stringify(ENDPOINTS[endpoint].body), { ...bearer, 'x-sluice-user': 'u'.repeat(300) }] },
  ];

  for (const endpoint of Object.keys(ENDPOINTS) as Endpoint[]) {
    for (const refusal of refusals) {
      it(`${endpoint}: ${refusal.name} is refused with ${refusal.code} and leaves exactly one log event with that code`, async () => {
        const [body, headers] = refusal.request(endpoint);
        const { response, ends } = await send(ENDPOINTS[endpoint].path, body, headers);
        expect(response.status).toBe(refusal.status);
        expect(response.headers.get('x-sluice-attempts')).toBe('0');
        expect(ends).toHaveLength(1);
        expect(ends[0]).toMatchObject({ endpoint, status: refusal.status, errorCode: refusal.code });
        // Whatever the client sent, the logged model stays within the identifier cap.
        expect((ends[0]?.requestedModel ?? '').length).toBeLessThanOrEqual(256);
      });
    }

    it(`${endpoint}: a key over its rate limit is refused with rate_limit_exceeded and one log event`, async () => {
      const headers = { authorization: `Bearer ${limitedKey}` };
      const outcomes = [];
      for (let index = 0; index < 2; index += 1) outcomes.push(await send(ENDPOINTS[endpoint].path, JSON.stringify(ENDPOINTS[endpoint].body), headers));
      const refused = outcomes.find((outcome) => outcome.response.status === 429);
      expect(refused).toBeDefined();
      expect(refused?.response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused?.response.headers.get('x-ratelimit-limit-requests')).toBe('1');
      expect(refused?.ends).toHaveLength(1);
      expect(refused?.ends[0]).toMatchObject({ endpoint, status: 429, errorCode: 'rate_limit_exceeded', keyId: expect.any(String) });
    });
  }

  it('arrays are capped: 2,049 messages are refused before any upstream call', async () => {
    const messages = Array.from({ length: 2049 }, () => ({ role: 'user', content: 'hi' }));
    const { response, ends } = await send('/v1/chat/completions', JSON.stringify({ model: 'mock/echo', messages }), bearer);
    expect(response.status).toBe(400);
    expect(ends[0]).toMatchObject({ errorCode: 'invalid_request', attempts: [] });
  });

  it('a bad body on /v1/messages is logged with its real code, not internal_error (regression)', async () => {
    const { ends } = await send('/v1/messages', JSON.stringify({ model: 'mock/echo', messages: 'nope' }), bearer);
    expect(ends.map((end) => end.errorCode)).toEqual(['invalid_request']);
    const refusedKey = await send('/v1/messages', JSON.stringify(ENDPOINTS.messages.body), { 'x-api-key': 'sk-wrong' });
    expect(refusedKey.ends.map((end) => end.errorCode)).toEqual(['invalid_api_key']);
  });

  it('/v1/messages answers carry the same x-sluice-* headers as /v1/chat/completions, trail and fallback included', async () => {
    const chat = await send('/v1/chat/completions', JSON.stringify({ ...ENDPOINTS['chat.completions'].body, model: 'falls-back' }), bearer);
    const messages = await send('/v1/messages', JSON.stringify({ ...ENDPOINTS.messages.body, model: 'falls-back' }), bearer);
    const sluiceHeaders = (response: Response) => [...response.headers.keys()].filter((name) => name.startsWith('x-sluice-')).sort();
    expect(chat.response.status).toBe(200);
    expect(messages.response.status).toBe(200);
    expect(sluiceHeaders(messages.response)).toEqual(sluiceHeaders(chat.response));
    expect(messages.response.headers.get('x-sluice-attempts')).toBe('2');
    expect(messages.response.headers.get('x-sluice-attempt-trail')).toMatch(/^dead\/gone;kind=first;status=none;error=\w+;ms=\d+, mock\/echo;kind=fallback;status=200/);
    expect(messages.response.headers.get('request-id')).toBe(messages.response.headers.get('x-request-id'));
  });

  it('a failure after every attempt tells SDKs not to retry on both APIs, in each API\'s error shape', async () => {
    const chat = await post('/v1/chat/completions', JSON.stringify({ ...ENDPOINTS['chat.completions'].body, model: 'broken' }), bearer);
    const messages = await post('/v1/messages', JSON.stringify({ ...ENDPOINTS.messages.body, model: 'broken' }), bearer);
    for (const response of [chat, messages]) {
      expect(response.status).toBe(502);
      expect(response.headers.get('x-should-retry')).toBe('false');
      expect(response.headers.get('x-sluice-attempts')).toBe('1');
    }
    expect(await chat.json()).toMatchObject({ error: { code: 'provider_error' } });
    expect(await messages.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('a streamed answer ends its lifecycle once, when the stream ends, with its time to first token', async () => {
    const { response, ends } = await send('/v1/chat/completions', JSON.stringify({ ...ENDPOINTS['chat.completions'].body, model: 'mock/lorem', stream: true }), bearer);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-sluice-attempts')).toBe('1');
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ status: 200, errorCode: null, stream: true });
    expect(ends[0]?.timeToFirstTokenMs).toEqual(expect.any(Number));
  });
});
