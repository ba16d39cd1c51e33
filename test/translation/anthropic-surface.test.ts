import Anthropic from '@anthropic-ai/sdk';
import { ChatAnthropic } from '@langchain/anthropic';
import type { AIMessageChunk } from '@langchain/core/messages';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiCompletion, openaiStream, startMockUpstream } from '../mock-upstream/index.js';
import type { MockUpstream } from '../mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from '../support/start-gateway.js';
import type { TestGateway } from '../support/start-gateway.js';

let upstream: MockUpstream;
let gateway: TestGateway;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gateway = await startTestGateway({
    environment: 'development',
    logging: { level: 'silent' },
    providers: [
      { name: 'oai', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-openai' },
      { name: 'legacy', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-legacy', max_tokens_field: 'max_tokens' },
      { name: 'claude', type: 'anthropic', base_url: upstream.url, api_key: 'sk-upstream-anthropic' },
    ],
    models: [{ name: 'smart', retry: { max_attempts: 1 }, targets: [{ provider: 'claude', model: 'claude-test' }] }],
  });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

const question = { messages: [{ role: 'user' as const, content: 'How many tokens is this?' }] };

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': TEST_MASTER_KEY, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('POST /v1/messages/count_tokens', () => {
  it('asks an Anthropic upstream for the exact count', async () => {
    upstream.enqueue('/v1/messages/count_tokens', { kind: 'json', status: 200, body: { input_tokens: 17 } });
    const { data, response } = await anthropic.messages.countTokens({ model: 'smart', ...question, system: 'Be terse.' }).withResponse();
    expect(data).toEqual({ input_tokens: 17 });
    expect(response.headers.get('x-sluice-token-count')).toBe('exact');
    expect(upstream.requests[0]?.body).toEqual({ model: 'claude-test', ...question, system: 'Be terse.' });
  });

  it('estimates for other providers, and says so', async () => {
    const { data, response } = await anthropic.messages.countTokens({ model: 'oai/gpt-test', ...question }).withResponse();
    expect(data.input_tokens).toBeGreaterThan(5);
    expect(response.headers.get('x-sluice-token-count')).toBe('estimate');
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('GET /v1/models with anthropic-version', () => {
  it('models.list and models.retrieve answer in Anthropic\'s shape', async () => {
    const listed: Array<{ id: string; type: string }> = [];
    for await (const model of anthropic.models.list()) listed.push(model);
    expect(listed).toContainEqual(expect.objectContaining({ type: 'model', id: 'smart', display_name: 'smart' }));
    const model = await anthropic.models.retrieve('smart');
    expect(model).toMatchObject({ type: 'model', id: 'smart', display_name: 'smart' });
    expect(Number.isNaN(Date.parse(model.created_at))).toBe(false);
    const missing = await anthropic.models.retrieve('nope').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect(missing).toMatchObject({ error: { type: 'error', error: { type: 'not_found_error' } } });
  });

  it('still answers OpenAI clients in OpenAI\'s shape', async () => {
    const response = await fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
    expect(await response.json()).toMatchObject({ object: 'list', data: expect.arrayContaining([expect.objectContaining({ object: 'model', id: 'smart' })]) });
  });

  it('an unknown /v1/messages route gets an Anthropic-shaped 404', async () => {
    const response = await post('/v1/messages/batches', question);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });
});

describe('Messages translated for OpenAI-typed providers', () => {
  it('a GPT-5 model receives max_completion_tokens; a max_tokens_field: max_tokens provider gets max_tokens', async () => {
    upstream.enqueue('/v1/chat/completions', openaiCompletion(), openaiCompletion());
    await anthropic.messages.create({ model: 'oai/gpt-5', max_tokens: 100, ...question });
    expect(upstream.requests[0]?.body).toMatchObject({ model: 'gpt-5', max_completion_tokens: 100 });
    expect(upstream.requests[0]?.body).not.toHaveProperty('max_tokens');
    await anthropic.messages.create({ model: 'legacy/llama-3', max_tokens: 100, ...question });
    expect(upstream.requests[1]?.body).toMatchObject({ model: 'llama-3', max_tokens: 100 });
    expect(upstream.requests[1]?.body).not.toHaveProperty('max_completion_tokens');
  });

  it('LangChain\'s ChatAnthropic reports non-zero input tokens when streaming', async () => {
    upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['Hi', ' there'] }));
    const model = new ChatAnthropic({ model: 'oai/gpt-test', anthropicApiUrl: gateway.url, apiKey: TEST_MASTER_KEY, streaming: true, maxRetries: 0 });
    let total: AIMessageChunk | undefined;
    for await (const chunk of await model.stream('Say hi to everyone in the room')) total = total === undefined ? chunk : total.concat(chunk);
    expect(total?.content).toBe('Hi there');
    expect(total?.usage_metadata?.input_tokens).toBeGreaterThan(0);
  });

  it('a field with no OpenAI equivalent, such as thread, is a 400 naming it, never a silent drop', async () => {
    const response = await post('/v1/messages', { model: 'oai/gpt-test', max_tokens: 10, ...question, thread: { id: 'thread_1' } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('thread') } });
    expect(upstream.requests).toHaveLength(0);
  });

  it('an upstream that drops after content is reported as a dropped stream', async () => {
    upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['Hel', 'lo', ' wor', 'ld'], resetAfter: 3 }));
    const response = await post('/v1/messages', { model: 'oai/gpt-test', max_tokens: 10, ...question, stream: true });
    const text = await response.text();
    const error = text.split('\n\n').find((frame) => frame.startsWith('event: error'));
    expect(error).toContain('dropped the stream');
    expect(error).not.toContain('could not reach');
  });
});
