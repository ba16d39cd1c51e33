import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiCompletion, openaiError, openaiStream, startMockUpstream } from './mock-upstream/index.js';
import type { MockReply, MockUpstream } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

let upstream: MockUpstream;
let gateway: TestGateway;
let client: OpenAI;
let questionCounter = 0;

/** A fresh question per test, so entries of one test never answer another. */
const ask = (text = 'What is the capital of France?') => [{ role: 'user' as const, content: `${text} #${++questionCounter}` }];

/** The fixture embedding table; any other text gets its own direction (a one-hot of its hash), similar to nothing else. */
const EMBEDDINGS: Record<string, number[]> = {
  'Tell me the capital of Spain.': [1, 0, 0],
  'Spain capital?': [0.96, 0.28, 0],
};
const DIMENSIONS = 64;
function embeddingOf(text: string): number[] {
  const known = EMBEDDINGS[text];
  const vector = new Array<number>(DIMENSIONS).fill(0);
  if (known !== undefined) {
    known.forEach((value, index) => { vector[index] = value; });
    return vector;
  }
  let hash = 0;
  for (const character of text) hash = (hash * 31 + character.charCodeAt(0)) >>> 0;
  const first = 3 + (hash % (DIMENSIONS - 3));
  const second = 3 + ((hash >>> 8) % (DIMENSIONS - 3));
  vector[first] = 1;
  vector[second] = (vector[second] ?? 0) + 1;
  return vector;
}

beforeAll(async () => {
  upstream = await startMockUpstream();
  gateway = await startTestGateway({
    providers: [{ name: 'upstream', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream' }],
    models: [
      {
        name: 'smart', targets: [{ provider: 'upstream', model: 'gpt-upstream' }], retry: { max_attempts: 1 },
        circuit_breaker: { failure_threshold: 1000 }, cache: { enabled: true, semantic: true },
        pricing: { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 },
      },
      { name: 'exact', targets: [{ provider: 'upstream', model: 'gpt-upstream' }], retry: { max_attempts: 1 }, cache: { enabled: true } },
      { name: 'plain', targets: [{ provider: 'upstream', model: 'gpt-upstream' }], retry: { max_attempts: 1 } },
      { name: 'embed', targets: [{ provider: 'upstream', model: 'text-embed' }], cache: { enabled: true } },
    ],
    cache: { semantic: { embedding_model: 'embed', threshold: 0.95 } },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => {
  upstream.reset();
  upstream.route('/v1/embeddings', (request) => {
    const body = request.body as { input: string | string[] };
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return {
      kind: 'json',
      body: {
        object: 'list', model: 'text-embed',
        data: inputs.map((input, index) => ({ object: 'embedding', index, embedding: embeddingOf(input) })),
        usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
      },
    };
  });
});

const chatCalls = () => upstream.requests.filter((request) => request.path === '/v1/chat/completions').length;
/** The index of the n-th chat request among everything the upstream received (embedding calls come first). */
const chatRequestIndex = (n = 0) => upstream.requests.map((request, index) => [request.path, index] as const)
  .filter(([path]) => path === '/v1/chat/completions')[n]?.[1] ?? -1;

async function post(path: string, body: object, headers: Record<string, string> = {}, key = TEST_MASTER_KEY) {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Stream chunks without what a replay changes on purpose (id, created) and without null fields. */
function normalise(chunks: readonly object[]): unknown[] {
  return chunks.map((chunk) => JSON.parse(JSON.stringify({ ...chunk, id: undefined, created: undefined }, (_key, value: unknown) => (value === null ? undefined : value))));
}

async function streamChunks(messages: OpenAI.ChatCompletionMessageParam[], extra: object = {}) {
  const { data: stream, response } = await client.chat.completions.create({
    model: 'smart', messages, stream: true, stream_options: { include_usage: true }, ...extra,
  }).withResponse();
  const chunks: object[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, cache: response.headers.get('x-sluice-cache') };
}

/** An upstream stream with reasoning, text and a tool call. */
function richStream(): MockReply {
  const base = { id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model: 'gpt-upstream' };
  const chunk = (delta: object, finish: string | null = null) => ({ data: { ...base, choices: [{ index: 0, delta, finish_reason: finish }] } });
  return {
    kind: 'sse', done: true, events: [
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Let me ' }),
      chunk({ reasoning_content: 'think.' }),
      chunk({ content: 'Checking ' }),
      chunk({ content: 'the map.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({}, 'tool_calls'),
      { data: { ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 } } },
    ],
  };
}

describe('the exact cache through the HTTP server', () => {
  it('a repeated request makes one upstream call; the second answer is a hit with its age', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Paris' }));
    const messages = ask();
    const first = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    const second = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(first.response.headers.get('x-sluice-cache')).toBe('miss');
    expect(second.response.headers.get('x-sluice-cache')).toBe('hit');
    expect(second.response.headers.get('x-sluice-cache-age')).toBe('0');
    expect(second.data.choices[0]?.message.content).toBe('Paris');
    expect(second.data.usage).toEqual(first.data.usage);
    expect(chatCalls()).toBe(1);
    // A model without a cache says nothing about it.
    upstream.enqueue('/v1/chat/completions', openaiCompletion({}));
    const plain = await client.chat.completions.create({ model: 'plain', messages }).withResponse();
    expect(plain.response.headers.get('x-sluice-cache')).toBeNull();
  });

  it('stream → stream replays event for event, reasoning and tool calls kept', async () => {
    upstream.enqueue('/v1/chat/completions', richStream());
    const messages = ask();
    const miss = await streamChunks(messages);
    const hit = await streamChunks(messages);
    expect([miss.cache, hit.cache]).toEqual(['miss', 'hit']);
    expect(normalise(hit.chunks)).toEqual(normalise(miss.chunks));
    expect(JSON.stringify(hit.chunks)).toContain('"reasoning_content":"Let me "');
    expect(chatCalls()).toBe(1);
  });

  it('stream → JSON: the stored stream answers a JSON caller with the whole message', async () => {
    upstream.enqueue('/v1/chat/completions', richStream());
    const messages = ask();
    await streamChunks(messages);
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(response.headers.get('x-sluice-cache')).toBe('hit');
    expect(data.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant', content: 'Checking the map.', reasoning_content: 'Let me think.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"city":"Paris"}' } }],
      },
    });
    expect(data.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });
  });

  it('JSON → stream: the stored completion streams the same message, tool calls included', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Use the tool.', toolCalls: [{ id: 'call_9', name: 'lookup', arguments: '{"q":1}' }], finishReason: 'tool_calls' }));
    const messages = ask();
    const json = await client.chat.completions.create({ model: 'smart', messages });
    const hit = await streamChunks(messages);
    expect(hit.cache).toBe('hit');
    // The same stream a streaming upstream sends for that answer: role, text, the tool call's header and arguments, finish, usage.
    const expected = [
      { object: 'chat.completion.chunk', model: 'mock-model', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
      { object: 'chat.completion.chunk', model: 'mock-model', choices: [{ index: 0, delta: { content: 'Use the tool.' } }] },
      { object: 'chat.completion.chunk', model: 'mock-model', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'lookup', arguments: '' } }] } }] },
      { object: 'chat.completion.chunk', model: 'mock-model', choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"q":1}' } }] } }] },
      { object: 'chat.completion.chunk', model: 'mock-model', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
      { object: 'chat.completion.chunk', model: 'mock-model', choices: [], usage: json.usage },
    ];
    expect(normalise(hit.chunks)).toEqual(expected);
  });

  it('an Anthropic caller gets hits too, as a message and as a stream', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Bonjour' }));
    const anthropic = new Anthropic({ baseURL: gateway.url, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: `Say hello in French #${++questionCounter}` }];
    const miss = await anthropic.messages.create({ model: 'smart', max_tokens: 50, messages }).withResponse();
    const hit = await anthropic.messages.create({ model: 'smart', max_tokens: 50, messages }).withResponse();
    expect([miss.response.headers.get('x-sluice-cache'), hit.response.headers.get('x-sluice-cache')]).toEqual(['miss', 'hit']);
    expect(hit.data.content).toEqual(miss.data.content);
    const stream = anthropic.messages.stream({ model: 'smart', max_tokens: 50, messages });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'Bonjour', citations: null }].map(({ citations: _c, ...block }) => block).map((block) => expect.objectContaining(block)));
    expect(chatCalls()).toBe(1);
  });
});

describe('write gates', () => {
  it('never stores a cut-off answer (finish_reason length), an upstream error or a stream that broke', async () => {
    const messages = ask();
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Par', finishReason: 'length' }), openaiCompletion({ content: 'Paris' }));
    await client.chat.completions.create({ model: 'smart', messages });
    const again = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(again.response.headers.get('x-sluice-cache')).toBe('miss');

    const failing = ask();
    upstream.enqueue('/v1/chat/completions', openaiError(500, 'boom'), openaiCompletion({ content: 'ok' }));
    await expect(client.chat.completions.create({ model: 'smart', messages: failing })).rejects.toThrow();
    const afterError = await client.chat.completions.create({ model: 'smart', messages: failing }).withResponse();
    expect(afterError.response.headers.get('x-sluice-cache')).toBe('miss');

    const broken = ask();
    upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['a', 'b', 'c'], resetAfter: 2 }), openaiCompletion({ content: 'whole' }));
    await expect(streamChunks(broken)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const afterBreak = await client.chat.completions.create({ model: 'smart', messages: broken }).withResponse();
    expect(afterBreak.response.headers.get('x-sluice-cache')).toBe('miss');
    expect(afterBreak.data.choices[0]?.message.content).toBe('whole');
  });
});

describe('per-request controls', () => {
  it('no-cache refreshes (and stores the fresh answer), no-store keeps it out, max-age refuses old entries', async () => {
    const messages = ask();
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'old' }), openaiCompletion({ content: 'new' }));
    await post('/v1/chat/completions', { model: 'smart', messages });
    const refreshed = await post('/v1/chat/completions', { model: 'smart', messages }, { 'cache-control': 'no-cache' });
    expect(refreshed.headers.get('x-sluice-cache')).toBe('refresh');
    expect(JSON.parse(refreshed.text).choices[0].message.content).toBe('new');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const hit = await post('/v1/chat/completions', { model: 'smart', messages });
    expect(hit.headers.get('x-sluice-cache')).toBe('hit');
    expect(JSON.parse(hit.text).choices[0].message.content).toBe('new');

    const unstored = ask();
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'a' }), openaiCompletion({ content: 'b' }));
    await post('/v1/chat/completions', { model: 'smart', messages: unstored }, { 'cache-control': 'no-store' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await post('/v1/chat/completions', { model: 'smart', messages: unstored })).headers.get('x-sluice-cache')).toBe('miss');

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const old = await post('/v1/chat/completions', { model: 'smart', messages: unstored }, { 'cache-control': 'max-age=0' });
    expect(old.headers.get('x-sluice-cache')).toBe('miss');
  });

  it('LiteLLM\'s body field works and never reaches the upstream; namespaces separate entries; off bypasses', async () => {
    const messages = ask();
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'one' }), openaiCompletion({ content: 'two' }), openaiCompletion({ content: 'three' }));
    const first = await post('/v1/chat/completions', { model: 'smart', messages, cache: { namespace: 'docs', ttl: 600 } });
    expect(upstream.requests[0]?.body).not.toHaveProperty('cache');
    expect(first.headers.get('x-sluice-cache')).toBe('miss');
    const sameNamespace = await post('/v1/chat/completions', { model: 'smart', messages }, { 'x-sluice-cache-namespace': 'docs' });
    expect(sameNamespace.headers.get('x-sluice-cache')).toBe('hit');
    const otherNamespace = await post('/v1/chat/completions', { model: 'smart', messages });
    expect(otherNamespace.headers.get('x-sluice-cache')).toBe('miss');
    const off = await post('/v1/chat/completions', { model: 'smart', messages, cache: { 'use-cache': false } });
    expect(off.headers.get('x-sluice-cache')).toBe('bypass');
    expect(chatCalls()).toBe(3);
  });
});

describe('tenants', () => {
  async function keyFor(tenant: string): Promise<string> {
    const created = await post('/admin/api/keys', { name: `app-${tenant}-${++questionCounter}`, tenant });
    return JSON.parse(created.text).key;
  }

  it('tenant A never gets tenant B\'s entry, exact or semantic', async () => {
    const [acme, globex] = [await keyFor('acme'), await keyFor('globex')];
    const messages = [{ role: 'user', content: 'Tell me the capital of Spain.' }];
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Madrid (acme)' }), openaiCompletion({ content: 'Madrid (globex)' }));
    expect((await post('/v1/chat/completions', { model: 'smart', messages }, {}, acme)).headers.get('x-sluice-cache')).toBe('miss');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const exact = await post('/v1/chat/completions', { model: 'smart', messages }, {}, globex);
    expect(exact.headers.get('x-sluice-cache')).toBe('miss');
    expect(JSON.parse(exact.text).choices[0].message.content).toBe('Madrid (globex)');
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Semantic: a similar question finds its own tenant's answer only.
    const similar = [{ role: 'user', content: 'Spain capital?' }];
    const acmeHit = await post('/v1/chat/completions', { model: 'smart', messages: similar }, {}, acme);
    expect(acmeHit.headers.get('x-sluice-cache')).toBe('semantic_hit');
    expect(Number(acmeHit.headers.get('x-sluice-cache-similarity'))).toBeGreaterThanOrEqual(0.95);
    expect(JSON.parse(acmeHit.text).choices[0].message.content).toBe('Madrid (acme)');
    const otherTenant = await keyFor('initech');
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Madrid (initech)' }));
    const initech = await post('/v1/chat/completions', { model: 'smart', messages: similar }, {}, otherTenant);
    expect(initech.headers.get('x-sluice-cache')).toBe('miss');
    expect(chatCalls()).toBe(3);
  });
});

describe('coalescing', () => {
  it('50 concurrent identical requests make exactly 1 upstream call; 49 are coalesced, every body byte-identical', async () => {
    upstream.enqueue('/v1/chat/completions', { ...openaiCompletion({ content: 'shared' }), delayMs: 1500 });
    const messages = ask();
    const answers = await Promise.all(Array.from({ length: 50 }, () => post('/v1/chat/completions', { model: 'exact', messages })));
    expect(chatCalls()).toBe(1);
    const statuses = answers.map((answer) => answer.headers.get('x-sluice-cache'));
    expect(statuses.filter((status) => status === 'coalesced')).toHaveLength(49);
    expect(statuses.filter((status) => status === 'miss')).toHaveLength(1);
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
  });

  it('streaming and JSON followers get the same answer; the leader hanging up does not cancel the call', async () => {
    upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['one ', 'two ', 'three'], chunkDelayMs: 100 }));
    const messages = ask();
    const leader = new AbortController();
    const leaderResponse = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', signal: leader.signal,
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages, stream: true }),
    });
    expect(leaderResponse.headers.get('x-sluice-cache')).toBe('miss');
    const streamFollower = streamChunks(messages);
    const jsonFollower = post('/v1/chat/completions', { model: 'smart', messages });
    await new Promise((resolve) => setTimeout(resolve, 50));
    leader.abort();
    const [streamed, json] = await Promise.all([streamFollower, jsonFollower]);
    expect(streamed.cache).toBe('coalesced');
    expect(streamed.chunks.map((chunk) => (chunk as OpenAI.ChatCompletionChunk).choices[0]?.delta.content ?? '').join('')).toBe('one two three');
    expect(json.headers.get('x-sluice-cache')).toBe('coalesced');
    expect(JSON.parse(json.text).choices[0].message.content).toBe('one two three');
    expect(await upstream.waitForRequestEnd(chatRequestIndex())).toEqual({ aborted: false });
    expect(chatCalls()).toBe(1);
  });

  it('when every client hangs up the upstream call is cancelled', async () => {
    upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['slow', ' answer'], chunkDelayMs: 500 }));
    const messages = ask();
    const callers = [new AbortController(), new AbortController()];
    const started = callers.map((controller) => fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST', signal: controller.signal,
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages, stream: true }),
    }).catch(() => null));
    await Promise.all(started);
    for (const controller of callers) controller.abort();
    expect(await upstream.waitForRequestEnd(chatRequestIndex())).toEqual({ aborted: true });
    expect(chatCalls()).toBe(1);
  });

  it('an upstream error reaches every waiter, and the next request goes upstream again', async () => {
    upstream.enqueue('/v1/chat/completions', { ...openaiError(500, 'upstream broke'), delayMs: 200 }, openaiCompletion({ content: 'recovered' }));
    const messages = ask();
    const answers = await Promise.all(Array.from({ length: 3 }, () => post('/v1/chat/completions', { model: 'smart', messages })));
    expect(answers.map((answer) => answer.status)).toEqual([502, 502, 502]);
    expect(new Set(answers.map((answer) => JSON.parse(answer.text).error.message)).size).toBe(1);
    expect(chatCalls()).toBe(1);
    const next = await post('/v1/chat/completions', { model: 'smart', messages });
    expect(JSON.parse(next.text).choices[0].message.content).toBe('recovered');
    expect(chatCalls()).toBe(2);
  });

  it('no-cache requests are never merged', async () => {
    upstream.enqueue('/v1/chat/completions', { ...openaiCompletion({ content: 'a' }), delayMs: 200 }, { ...openaiCompletion({ content: 'b' }), delayMs: 200 });
    const messages = ask();
    const answers = await Promise.all([1, 2].map(() => post('/v1/chat/completions', { model: 'smart', messages }, { 'cache-control': 'no-cache' })));
    expect(answers.map((answer) => answer.headers.get('x-sluice-cache'))).toEqual(['refresh', 'refresh']);
    expect(chatCalls()).toBe(2);
  });
});

describe('embeddings cache', () => {
  it('a batch with some hits sends one upstream call for the misses and stitches the answer in order', async () => {
    const first = await client.embeddings.create({ model: 'embed', input: ['Tell me the capital of Spain.', 'Spain capital?'], encoding_format: 'float' });
    expect(first.data.map((item) => item.embedding.slice(0, 3))).toEqual([[1, 0, 0], [0.96, 0.28, 0]]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    upstream.reset();
    upstream.route('/v1/embeddings', (request) => {
      const body = request.body as { input: string[] };
      return { kind: 'json', body: { object: 'list', model: 'text-embed', data: body.input.map((_input, index) => ({ object: 'embedding', index, embedding: [7, 7, 7] })), usage: { prompt_tokens: 1, total_tokens: 1 } } };
    });
    const second = await client.embeddings.create({ model: 'embed', input: ['Spain capital?', 'brand new', 'Tell me the capital of Spain.'], encoding_format: 'float' });
    expect(second.data.map((item) => [item.index, item.embedding.slice(0, 3)])).toEqual([[0, [0.96, 0.28, 0]], [1, [7, 7, 7]], [2, [1, 0, 0]]]);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.body).toMatchObject({ input: ['brand new'] });
  });
});

describe('accounting and the admin API', () => {
  it('a hit costs 0 and records what it saved and whose answer it was; stats show hit rate and dollars saved', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'priced' }));
    const messages = ask();
    const miss = await post('/v1/chat/completions', { model: 'smart', messages });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const hit = await post('/v1/chat/completions', { model: 'smart', messages });
    await gateway.gateway.flushRequestLog();
    const admin = (path: string) => fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } })
      .then((response) => response.json() as Promise<Record<string, unknown> & { data: Array<Record<string, number | string>> }>);
    const missRow = await admin(`/admin/api/logs/${miss.headers.get('x-request-id')}`);
    const hitRow = await admin(`/admin/api/logs/${hit.headers.get('x-request-id')}`);
    expect(missRow).toMatchObject({ cache: 'miss', cost_usd: 8 });
    expect(hitRow).toMatchObject({ cache: 'hit', cost_usd: 0, cost_saved_usd: 8, cache_origin_request_id: miss.headers.get('x-request-id'), total_tokens: 0 });
    const stats = await admin('/admin/api/cache/stats?group_by=model');
    const smart = stats.data.find((group) => group.group === 'smart') ?? {};
    expect(smart.hits).toBeGreaterThanOrEqual(1);
    expect(smart.saved_usd).toBeGreaterThanOrEqual(8);
    expect(smart.hit_rate).toBeGreaterThan(0);
    expect(stats.store).toMatchObject({ kind: 'memory' });
  });

  it('lists entries (metadata only), deletes one, and invalidates a namespace at once', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'x' }), openaiCompletion({ content: 'y' }));
    const messages = ask();
    await post('/v1/chat/completions', { model: 'smart', messages }, { 'x-sluice-cache-namespace': 'kb/faq' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const headers = { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' };
    const listed = await fetch(`${gateway.url}/admin/api/cache/entries?namespace_prefix=kb`, { headers }).then((response) => response.json() as Promise<{ data: Array<Record<string, unknown>> }>);

    expect(listed.data).toHaveLength(1);
    expect(listed.data[0]).toMatchObject({ namespace: 'kb/faq', model: 'smart', kind: 'chat' });
    expect(listed.data[0]).not.toHaveProperty('value');
    const invalidated = await fetch(`${gateway.url}/admin/api/cache/invalidate`, { method: 'POST', headers, body: JSON.stringify({ namespace_prefix: 'kb' }) });
    expect(await invalidated.json()).toMatchObject({ generation: 1, namespace_prefix: 'kb', tenant_id: null });
    const after = await post('/v1/chat/completions', { model: 'smart', messages }, { 'x-sluice-cache-namespace': 'kb/faq' });
    expect(after.headers.get('x-sluice-cache')).toBe('miss');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await fetch(`${gateway.url}/admin/api/cache/entries?namespace_prefix=kb`, { headers }).then((response) => response.json() as Promise<{ data: Array<{ key: string }> }>);
    const key = again.data[0]?.key;
    expect((await fetch(`${gateway.url}/admin/api/cache/entries/${key}`, { method: 'DELETE', headers: { authorization: headers.authorization } })).status).toBe(200);
    expect((await fetch(`${gateway.url}/admin/api/cache/entries/${key}`, { method: 'DELETE', headers: { authorization: headers.authorization } })).status).toBe(404);
  });
});
