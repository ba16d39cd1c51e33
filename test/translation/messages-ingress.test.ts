import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent, RequestSummary } from '../../src/core/index.js';
import {
  anthropicError, anthropicMessage, anthropicStream, anthropicStreamError, openaiCompletion, openaiStream,
} from '../mock-upstream/index.js';
import { MASTER_KEY, startTranslationHarness } from './gateway-harness.js';
import type { TranslationHarness } from './gateway-harness.js';

let harness: TranslationHarness;
const summaries: RequestSummary[] = [];

beforeAll(async () => {
  harness = await startTranslationHarness();
  harness.gateway.events.subscribe((event: GatewayEvent) => {
    if (event.type === 'request-end') summaries.push(event.summary);
  });
});
afterAll(async () => harness.close());
afterEach(() => {
  harness.upstream.reset();
  summaries.length = 0;
});

function post(path: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${MASTER_KEY}` }): Promise<Response> {
  return fetch(`${harness.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

function sseFrames(text: string): Array<{ event: string | null; data: string }> {
  return text.split('\n\n').filter((frame) => frame.trim() !== '').map((frame) => {
    const lines = frame.split('\n');
    const event = lines.find((line) => line.startsWith('event: '))?.slice(7) ?? null;
    const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
    return { event, data };
  });
}

async function waitForSummary(): Promise<RequestSummary> {
  for (let tries = 0; tries < 100 && summaries.length === 0; tries += 1) await new Promise((resolve) => setImmediate(resolve));
  const summary = summaries[0];
  if (summary === undefined) throw new Error('no request-end event');
  return summary;
}

const anthropicBody = {
  model: 'claude/claude-sonnet-4-5',
  max_tokens: 256,
  system: [{ type: 'text', text: 'Be terse.', cache_control: { type: 'ephemeral' } }],
  thinking: { type: 'enabled', budget_tokens: 1024 },
  top_k: 5,
  messages: [
    { role: 'user', content: 'Weather in Paris?' },
    { role: 'assistant', content: [
      { type: 'thinking', thinking: 'Need the tool.', signature: 'sig-1' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' }, { type: 'text', text: 'And now?' }] },
  ],
  tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
};

describe('/v1/messages to an anthropic target passes through', () => {
  it('sends the body as received (model replaced) with the provider key and version, and returns the upstream bytes', async () => {
    const upstreamBody = {
      id: 'msg_pass', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'Sunny.' }],
      stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 3, output_tokens: 2 }, container: null, stop_details: { note: 'kept' },
    };
    harness.upstream.enqueue('/v1/messages', { kind: 'json', status: 200, body: upstreamBody });
    const response = await post('/v1/messages', anthropicBody, { 'x-api-key': MASTER_KEY, 'anthropic-version': '2023-06-01' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(upstreamBody);
    expect(response.headers.get('x-sluice-provider')).toBe('claude');
    expect(response.headers.get('request-id')).toBeTruthy();
    const sent = harness.upstream.requests[0];
    expect(sent?.body).toEqual({ ...anthropicBody, model: 'claude-sonnet-4-5', stream: false });
    expect(sent?.headers['x-api-key']).toBe('sk-upstream-anthropic');
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.headers.authorization).toBeUndefined();
  });

  it('streams the upstream events unchanged, pings and unknown event types included', async () => {
    const reply = anthropicStream({ ping: true, usage: { input_tokens: 12, output_tokens: 9, cache_read_input_tokens: 1800, cache_creation_input_tokens: 20 } });
    reply.events.splice(2, 0, { event: 'future_event', data: { type: 'future_event', detail: 1 } });
    harness.upstream.enqueue('/v1/messages', reply);
    const response = await post('/v1/messages', { ...anthropicBody, stream: true });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const frames = sseFrames(await response.text());
    const expected = reply.events.map((event) => ({ event: event.event ?? null, data: typeof event.data === 'string' ? event.data : JSON.stringify(event.data) }));
    expect(frames).toEqual(expected);
    // Usage is still read for the request log, with Anthropic's cache counts added to the prompt.
    const summary = await waitForSummary();
    expect(summary.usage).toEqual({ promptTokens: 1832, completionTokens: 9, totalTokens: 1841, cachedTokens: 1800, cacheWriteTokens: 20, reasoningTokens: 0 });
    expect(summary.endpoint).toBe('messages');
  });

  it('passes server tools and block types Sluice does not know through to Anthropic', async () => {
    harness.upstream.enqueue('/v1/messages', anthropicMessage());
    const body = {
      ...anthropicBody,
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 2 }],
      messages: [
        { role: 'user', content: 'News?' },
        { role: 'assistant', content: [
          { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'news' } },
          { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
          { type: 'text', text: 'Nothing new.' },
        ] },
        { role: 'user', content: 'Thanks' },
      ],
    };
    const response = await post('/v1/messages', body, { 'x-api-key': MASTER_KEY, 'anthropic-beta': 'interleaved-thinking-2025-05-14' });
    expect(response.status).toBe(200);
    expect(harness.upstream.requests[0]?.body).toEqual({ ...body, model: 'claude-sonnet-4-5', stream: false });
    expect(harness.upstream.requests[0]?.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
  });

  it('drops temperature, top_p and top_k when the provider talks 2026-10-21', async () => {
    const modern = await startTranslationHarness({ anthropicVersion: '2026-10-21' });
    try {
      modern.upstream.enqueue('/v1/messages', anthropicMessage(), anthropicMessage());
      const viaMessages = await fetch(`${modern.baseUrl}/v1/messages`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': MASTER_KEY },
        body: JSON.stringify({ ...anthropicBody, temperature: 0.5, top_p: 0.9 }),
      });
      expect(viaMessages.status).toBe(200);
      const viaChat = await fetch(`${modern.baseUrl}/v1/chat/completions`, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` },
        body: JSON.stringify({ model: 'claude/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }], temperature: 0.5, top_p: 0.9 }),
      });
      expect(viaChat.status).toBe(200);
      for (const sent of modern.upstream.requests) {
        expect(sent.headers['anthropic-version']).toBe('2026-10-21');
        expect(Object.keys(sent.body ?? {})).not.toContain('temperature');
        expect(Object.keys(sent.body ?? {})).not.toContain('top_p');
        expect(Object.keys(sent.body ?? {})).not.toContain('top_k');
      }
    } finally {
      await modern.close();
    }
  });
});

describe('/v1/messages to a non-Anthropic target is translated', () => {
  it('sends OpenAI chat (system first, tool results as tool messages, thinking left out) and answers an Anthropic message', async () => {
    harness.upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Sunny.', usage: { prompt_tokens: 20, completion_tokens: 2 } }));
    const response = await post('/v1/messages', { ...anthropicBody, model: 'oai/gpt-test' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Sunny.' }], stop_reason: 'end_turn',
      usage: { input_tokens: 20, output_tokens: 2 },
    });
    expect(harness.upstream.requests[0]?.body).toMatchObject({
      model: 'gpt-test',
      max_completion_tokens: 256,
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
        { role: 'user', content: [{ type: 'text', text: 'And now?' }] },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
    });
  });

  it('a stream that fails after content ends with one event: error frame and no message_stop', async () => {
    const reply = openaiStream({ content: ['Hel', 'lo'] });
    reply.done = false;
    reply.events = [...reply.events.slice(0, 2), { data: { error: { message: 'upstream overloaded', type: 'server_error' } } }];
    harness.upstream.enqueue('/v1/chat/completions', reply);
    const response = await post('/v1/messages', { ...anthropicBody, model: 'oai/gpt-test', stream: true });
    const frames = sseFrames(await response.text());
    expect(frames.map((frame) => frame.event)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'error']);
    expect(JSON.parse(frames.at(-1)?.data ?? '{}')).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });
});

describe('/v1/messages with fallback from an Anthropic to an OpenAI target', () => {
  it('an overloaded Anthropic target falls back, and the translated stream still reaches the client as Anthropic events', async () => {
    harness.upstream.enqueue('/v1/messages', anthropicError(529, 'Overloaded'));
    harness.upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['Fall', 'back'] }));
    const response = await post('/v1/messages', { ...anthropicBody, model: 'smart', stream: true });
    expect(response.headers.get('x-sluice-provider')).toBe('oai');
    expect(response.headers.get('x-sluice-attempts')).toBe('2');
    const frames = sseFrames(await response.text());
    expect(frames.map((frame) => frame.event)).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(JSON.parse(frames[5]?.data ?? '{}')).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 5, output_tokens: 3 } });
    expect(harness.upstream.requests.map((request) => request.path)).toEqual(['/v1/messages', '/v1/chat/completions']);
  });
});

describe('/v1/messages auth, versions and errors', () => {
  it('accepts x-api-key and Bearer with either anthropic-version; refuses a missing key in Anthropic shape', async () => {
    const variants: Array<Record<string, string>> = [
      { 'x-api-key': MASTER_KEY, 'anthropic-version': '2023-06-01' },
      { authorization: `Bearer ${MASTER_KEY}`, 'anthropic-version': '2026-10-21' },
    ];
    for (const headers of variants) {
      const response = await post('/v1/messages', { model: 'mock/echo', max_tokens: 10, messages: [{ role: 'user', content: 'hi there' }] }, headers);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ content: [{ type: 'text', text: 'hi there' }] });
    }
    const refused = await post('/v1/messages', { model: 'mock/echo', max_tokens: 10, messages: [] }, {});
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('an invalid body is 400 invalid_request_error in Anthropic shape', async () => {
    const response = await post('/v1/messages', { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } });
  });

  it('an upstream 429 keeps its retry hint and becomes rate_limit_error', async () => {
    harness.upstream.enqueue('/v1/messages', anthropicError(429, 'slow down', { headers: { 'retry-after': '3' } }));
    const response = await post('/v1/messages', { ...anthropicBody, model: 'claude-once' });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('slow down') } });
  });

  it.each([
    ['oai/gpt-test', { tools: [{ type: 'web_search_20250305', name: 'web_search' }] }],
    ['google/gemini-test', { messages: [{ role: 'user', content: [{ type: 'search_result', source: 'x', title: 't', content: [] }] }] }],
    ['mock/echo', { messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }] }],
  ])('what only Anthropic understands, sent to %s, is 400 naming the part, with no upstream call', async (model, extra) => {
    const response = await post('/v1/messages', { ...anthropicBody, model, ...extra });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('Only Anthropic models') } });
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('a malformed known block is 400 on every target, Anthropic included', async () => {
    const response = await post('/v1/messages', { ...anthropicBody, messages: [{ role: 'user', content: [{ type: 'text' }] }] });
    expect(response.status).toBe(400);
    expect(harness.upstream.requests).toHaveLength(0);
  });
});

describe('/v1/chat/completions to translated providers', () => {
  it.each([
    ['claude/claude-x', { n: 2 }, 'n'],
    ['google/gemini-x', { tools: [{ type: 'custom', custom: { name: 'grammar' } }] }, 'tools[0]'],
    ['claude/claude-x', { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }, 'messages[0].content[0]'],
  ])('%s with %o is 400 invalid_request naming %s, with no upstream call', async (model, extra, param) => {
    const response = await post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], ...extra });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_request', param } });
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('an Anthropic mid-stream error ends an OpenAI stream with one error frame and no [DONE]', async () => {
    const reply = anthropicStream({ text: ['Hel', 'lo'] });
    reply.events = [...reply.events.slice(0, 3), anthropicStreamError('Overloaded')];
    harness.upstream.enqueue('/v1/messages', reply);
    const response = await post('/v1/chat/completions', { model: 'claude/claude-x', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const frames = sseFrames(await response.text());
    expect(frames.map((frame) => frame.data)).not.toContain('[DONE]');
    const errors = frames.filter((frame) => frame.data.includes('"error"'));
    expect(errors).toHaveLength(1);
    expect(frames.at(-1)).toBe(errors[0]);
    expect(frames.some((frame) => frame.data.includes('"finish_reason":"stop"'))).toBe(false);
  });

  it('an upstream 529 is a provider_error recording the upstream status', async () => {
    harness.upstream.enqueue('/v1/messages', anthropicError(529, 'Overloaded', { headers: { 'retry-after-ms': '250' } }));
    const response = await post('/v1/chat/completions', { model: 'claude-once', messages: [{ role: 'user', content: 'hi' }] });
    expect(response.status).toBe(502);
    const summary = await waitForSummary();
    expect(summary.attempts[0]).toMatchObject({ status: 529, errorCode: 'provider_error' });
  });
});
