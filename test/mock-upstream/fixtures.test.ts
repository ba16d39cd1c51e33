/**
 * Checks the fixture builders against the official SDKs: if the SDK accumulators accept a
 * fixture, the fixture has the structure real vendors send.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  anthropicError,
  anthropicMessage,
  anthropicStream,
  anthropicStreamError,
  float32ToBase64,
  geminiError,
  geminiResponse,
  geminiStream,
  openaiCompletion,
  openaiEmbeddings,
  openaiError,
  openaiStream,
  startMockUpstream,
  type MockUpstream,
} from './index.js';

let mock: MockUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  mock = await startMockUpstream();
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${mock.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: mock.url, maxRetries: 0 });
});

afterAll(async () => {
  await mock.close();
});

beforeEach(() => {
  mock.reset();
});

const CHAT = '/v1/chat/completions';
const MESSAGES = '/v1/messages';
const userMessage: Array<{ role: 'user'; content: string }> = [{ role: 'user', content: 'hi' }];

describe('openai fixtures', () => {
  it('openaiCompletion with tool calls is parsed by the SDK', async () => {
    mock.enqueue(
      CHAT,
      openaiCompletion({
        model: 'gpt-x',
        toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }],
        usage: { prompt_tokens: 10, completion_tokens: 4 },
      }),
    );
    const completion = await openai.chat.completions.create({ model: 'gpt-x', messages: userMessage });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual([
      { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
    expect(completion.usage).toEqual({ prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
  });

  it('openaiStream with content and two tool calls satisfies the SDK stream accumulator', async () => {
    mock.enqueue(
      CHAT,
      openaiStream({
        content: ['Checking', '.'],
        toolCalls: [
          { id: 'call_a', name: 'get_weather', argumentChunks: ['{"city":', '"Paris"}'] },
          { id: 'call_b', name: 'get_time', argumentChunks: ['{}'] },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 7 },
        chunkDelayMs: 1,
      }),
    );
    const stream = openai.chat.completions.stream({ model: 'm', messages: userMessage, stream_options: { include_usage: true } });
    const completion = await stream.finalChatCompletion();
    const message = completion.choices[0]?.message;
    expect(message?.content).toBe('Checking.');
    expect(message?.tool_calls?.map((call) => (call.type === 'function' ? [call.id, call.function.name, call.function.arguments] : []))).toEqual([
      ['call_a', 'get_weather', '{"city":"Paris"}'],
      ['call_b', 'get_time', '{}'],
    ]);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.usage).toEqual({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
  });

  it('openaiStream tool-call chunks use the ordinal as index and carry usage: null only when usage follows', () => {
    const withUsage = openaiStream({ toolCalls: [{ id: 'a', name: 'f', argumentChunks: ['{}'] }, { id: 'b', name: 'g', argumentChunks: [] }] });
    const payloads = withUsage.events.map((event) => event.data);
    expect(payloads[0]).toMatchObject({ choices: [{ delta: { role: 'assistant', content: '' } }], usage: null });
    expect(payloads[1]).toMatchObject({ choices: [{ delta: { tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'f', arguments: '' } }] } }] });
    expect(payloads[2]).toMatchObject({ choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: '{}' } }] } }] });
    expect(payloads[3]).toMatchObject({ choices: [{ delta: { tool_calls: [{ index: 1, id: 'b' }] } }] });
    expect(payloads[4]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'tool_calls' }], usage: null });
    expect(payloads[5]).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });
    expect(withUsage.done).toBe(true);

    const withoutUsage = openaiStream({ usage: null });
    expect(withoutUsage.events.every((event) => typeof event.data === 'object' && !('usage' in event.data))).toBe(true);
  });

  it('openaiError becomes the matching SDK error class with type, code and request id', async () => {
    mock.enqueue(CHAT, openaiError(429, 'Rate limit reached', { code: 'rate_limit_exceeded', headers: { 'retry-after': '1' } }));
    const failure = await openai.chat.completions.create({ model: 'm', messages: userMessage }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    expect(failure).toMatchObject({
      status: 429,
      message: expect.stringContaining('Rate limit reached'),
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      requestID: 'req_mock',
    });
  });

  it('SDK embeddings decode the default base64 reply', async () => {
    const embeddings = await openai.embeddings.create({ model: 'emb', input: ['a', 'b'] });
    expect(mock.requests[0]?.body).toMatchObject({ encoding_format: 'base64' });
    expect(embeddings.data).toHaveLength(2);
    expect(embeddings.data[0]?.embedding).toEqual([Math.fround(0.1), Math.fround(0.2), Math.fround(0.3)]);
  });

  it('openaiEmbeddings builds float or base64 vectors', () => {
    expect(openaiEmbeddings([[1, 2]], { model: 'e' }).body).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [1, 2] }],
      model: 'e',
      usage: { prompt_tokens: 1, total_tokens: 1 },
    });
    // 1.0f and 2.0f little-endian, the example in api-compat.md §1.7.
    expect(float32ToBase64([1, 2])).toBe('AACAPwAAAEA=');
    expect(openaiEmbeddings([[1, 2]], { encoding: 'base64' }).body).toMatchObject({ data: [{ embedding: 'AACAPwAAAEA=' }] });
  });
});

describe('anthropic fixtures', () => {
  it('anthropicMessage is parsed by the SDK', async () => {
    mock.enqueue(MESSAGES, anthropicMessage({ text: 'Hi there', usage: { input_tokens: 12, output_tokens: 2, cache_read_input_tokens: 100 } }));
    const message = await anthropic.messages.create({ model: 'claude-x', max_tokens: 10, messages: userMessage });
    expect(message.content).toEqual([{ type: 'text', text: 'Hi there' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 2, cache_read_input_tokens: 100 });
  });

  it('anthropicStream with text and a tool use satisfies the SDK MessageStream', async () => {
    mock.enqueue(
      MESSAGES,
      anthropicStream({
        text: ['Checking', '.'],
        toolUses: [{ id: 'toolu_1', name: 'get_weather', inputChunks: ['{"city": "Pa', 'ris"}'] }],
        usage: { input_tokens: 12, output_tokens: 41 },
        ping: true,
      }),
    );
    const message = await anthropic.messages.stream({ model: 'claude-x', max_tokens: 100, messages: userMessage }).finalMessage();
    expect(message.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 41 });
  });

  it('every anthropicStream event is named after its type', () => {
    const reply = anthropicStream();
    expect(reply.events.map((event) => event.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(reply.events.every((event) => typeof event.data === 'object' && 'type' in event.data && event.data.type === event.event)).toBe(true);
    expect(reply.done).toBeUndefined();
  });

  it('anthropicError and a mid-stream error event surface as SDK errors', async () => {
    mock.enqueue(MESSAGES, anthropicError(529, 'Overloaded'));
    const failure = await anthropic.messages.create({ model: 'c', max_tokens: 1, messages: userMessage }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect(failure).toMatchObject({ status: 529, requestID: 'req_mock' });

    const stream = anthropicStream();
    stream.events.splice(2, Infinity, anthropicStreamError('Overloaded'));
    mock.enqueue(MESSAGES, stream);
    const streamed = anthropic.messages.stream({ model: 'c', max_tokens: 1, messages: userMessage }).finalMessage();
    await expect(streamed).rejects.toThrow(/Overloaded/);
  });
});

describe('gemini fixtures', () => {
  const GENERATE = '/v1beta/models/gemini-x:generateContent';
  const STREAM = '/v1beta/models/gemini-x:streamGenerateContent';

  it('geminiResponse carries function calls with finishReason STOP and summed usage', async () => {
    mock.enqueue(GENERATE, geminiResponse({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }], usage: { promptTokenCount: 10, candidatesTokenCount: 2, thoughtsTokenCount: 3 } }));
    const response = await request(`${mock.url}${GENERATE}`, { method: 'POST', body: '{}' });
    expect(await response.body.json()).toEqual({
      candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2, thoughtsTokenCount: 3, totalTokenCount: 15 },
      modelVersion: 'gemini-mock',
      responseId: 'mock-response',
    });
  });

  it('geminiStream sends plain data events, finishReason and usage only on the last, and no [DONE]', async () => {
    mock.enqueue(STREAM, geminiStream({ text: ['Hel', 'lo'] }));
    const response = await request(`${mock.url}${STREAM}?alt=sse`, { method: 'POST', body: '{}' });
    const text = await response.body.text();
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('event:');
    const chunks: unknown[] = text.split('\n\n').filter(Boolean).map((frame) => JSON.parse(frame.slice('data: '.length)));
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toEqual({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] }, index: 0 }], modelVersion: 'gemini-mock', responseId: 'mock-response' });
    expect(chunks[1]).toMatchObject({
      candidates: [{ content: { parts: [{ text: 'lo' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 },
    });
    expect(mock.requests[0]?.query).toBe('alt=sse');
  });

  it('geminiError uses the google.rpc status name', () => {
    expect(geminiError(429, 'Quota exceeded')).toMatchObject({
      status: 429,
      body: { error: { code: 429, message: 'Quota exceeded', status: 'RESOURCE_EXHAUSTED' } },
    });
  });
});
