import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessage, anthropicStream, openaiCompletion } from '../mock-upstream/index.js';
import { checkResponseStream, parseSseBody } from '../support/check-response-stream.js';
import { TEST_MASTER_KEY } from '../support/start-gateway.js';
import { startResponsesHarness } from './responses-harness.js';
import type { ResponsesHarness } from './responses-harness.js';

let harness: ResponsesHarness;

beforeAll(async () => {
  harness = await startResponsesHarness({
    models: [
      { name: 'cached', targets: [{ provider: 'claude', model: 'claude-test' }], retry: { max_attempts: 1 }, cache: { enabled: true } },
      { name: 'cached-oai', targets: [{ provider: 'oai', model: 'gpt-test' }], retry: { max_attempts: 1 }, cache: { enabled: true } },
    ],
  });
});
afterAll(async () => harness.close());
beforeEach(() => {
  harness.upstream.reset();
  harness.summaries.length = 0;
});

const messagesCalls = (): number => harness.upstream.requests.filter((request) => request.path === '/v1/messages').length;

describe('the response cache on /v1/responses', () => {
  it('a repeated create is a hit: one upstream call, the same output text, a fresh response id, logged as a hit', async () => {
    harness.upstream.enqueue('/v1/messages', anthropicMessage());
    const first = await harness.openai.responses.create({ model: 'cached', input: 'Say hello (json)' }).withResponse();
    const second = await harness.openai.responses.create({ model: 'cached', input: 'Say hello (json)' }).withResponse();
    expect(first.response.headers.get('x-sluice-cache')).toBe('miss');
    expect(second.response.headers.get('x-sluice-cache')).toBe('hit');
    expect(messagesCalls()).toBe(1);
    expect(second.data.output_text).toBe('Hello from mock');
    expect(second.data.output_text).toBe(first.data.output_text);
    expect(second.data.id).not.toBe(first.data.id);
    expect(second.data.usage?.total_tokens).toBe(first.data.usage?.total_tokens);
    // The hit is a stored response of its own, retrievable like any other.
    expect(await harness.openai.responses.retrieve(second.data.id)).toEqual(second.data);
    expect(harness.summaries.map((summary) => [summary.endpoint, summary.cacheStatus ?? null])).toEqual([['responses', 'miss'], ['responses', 'hit']]);
  });

  it('a streamed hit replays the stored JSON answer through the full Responses grammar, with usage', async () => {
    harness.upstream.enqueue('/v1/messages', anthropicMessage());
    const miss = await harness.openai.responses.create({ model: 'cached', input: 'Say hello (json then stream)' });
    const response = await fetch(`${harness.gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cached', input: 'Say hello (json then stream)', stream: true }),
    });
    expect(response.headers.get('x-sluice-cache')).toBe('hit');
    const events = parseSseBody(await response.text());
    expect(checkResponseStream(events)).toEqual([]);
    const completed = events[events.length - 1]?.data;
    expect(completed).toMatchObject({ type: 'response.completed', response: { status: 'completed' } });
    expect(JSON.stringify(completed)).toContain('Hello from mock');
    expect(messagesCalls()).toBe(1);
    expect(miss.output_text).toBe('Hello from mock');
  });

  it('a stream fills the cache once: the next stream and the next JSON create are both hits', async () => {
    harness.upstream.enqueue('/v1/messages', anthropicStream());
    const streamed = await harness.openai.responses.stream({ model: 'cached', input: 'Say hello (stream first)' }).finalResponse();
    const again = await harness.openai.responses.stream({ model: 'cached', input: 'Say hello (stream first)' }).finalResponse();
    const json = await harness.openai.responses.create({ model: 'cached', input: 'Say hello (stream first)' }).withResponse();
    expect(messagesCalls()).toBe(1);
    expect(again.output_text).toBe(streamed.output_text);
    expect(json.data.output_text).toBe(streamed.output_text);
    expect(json.response.headers.get('x-sluice-cache')).toBe('hit');
    expect(again.usage?.output_tokens).toBe(streamed.usage?.output_tokens);
  });

  it('a chat completion with the same prompt is keyed apart, and the cache headers are honoured', async () => {
    harness.upstream.enqueue('/v1/chat/completions', openaiCompletion(), openaiCompletion());
    await harness.openai.responses.create({ model: 'cached-oai', input: 'Shared prompt' });
    const chat = await harness.openai.chat.completions.create({ model: 'cached-oai', messages: [{ role: 'user', content: 'Shared prompt' }] }).withResponse();
    expect(chat.response.headers.get('x-sluice-cache')).toBe('miss');
    const bypass = await harness.openai.responses.create({ model: 'cached-oai', input: 'Shared prompt' }, { headers: { 'x-sluice-cache': 'off' } }).withResponse();
    expect(bypass.response.headers.get('x-sluice-cache')).not.toBe('hit');
    expect(harness.upstream.requests.every((request) => !JSON.stringify(request.body).includes('"cache"'))).toBe(true);
  });
});
