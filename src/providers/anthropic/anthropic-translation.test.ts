import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../core/index.js';
import type { ChatCompletionChunk, ChatRequest } from '../../core/index.js';
import { anthropicStreamEventSchema } from './anthropic-api.js';
import { AnthropicStreamToChunks } from './anthropic-stream-to-chunks.js';
import { convertAnthropicMessage } from './convert-anthropic-message.js';
import { convertAnthropicUsage } from './convert-anthropic-usage.js';
import { JSON_TOOL_NAME, convertToAnthropicMessages } from './convert-to-anthropic-messages.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

const v2023 = { version: '2023-06-01', defaultMaxTokens: null };
const v2026 = { version: '2026-10-21', defaultMaxTokens: null };

describe('convertToAnthropicMessages', () => {
  it('hoists system and developer messages in order, groups consecutive tool results into one user turn', () => {
    const request: ChatRequest = {
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'Weather and time?' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric.' }] },
        { role: 'assistant', content: 'Checking.', tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_time', arguments: '' } },
        ] },
        { role: 'tool', tool_call_id: 'toolu_1', content: '18C' },
        { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: '12:00' }] },
        { role: 'user', content: 'Thanks' },
      ],
    };
    const { body } = convertToAnthropicMessages(request, v2023);
    expect(body.system).toEqual([{ type: 'text', text: 'Be terse.' }, { type: 'text', text: 'Use metric.' }]);
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather and time?' }] },
      { role: 'assistant', content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
      ] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: '18C' },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: '12:00' },
        { type: 'text', text: 'Thanks' },
      ] },
    ]);
  });

  it('fills max_tokens when the client sent none: configured, else model-aware', () => {
    const request: ChatRequest = { model: 'claude-3-haiku-20240307', messages: [{ role: 'user', content: 'hi' }] };
    expect(convertToAnthropicMessages(request, v2023).body.max_tokens).toBe(4096);
    expect(convertToAnthropicMessages({ ...request, model: 'claude-sonnet-4-5' }, v2023).body.max_tokens).toBe(8192);
    expect(convertToAnthropicMessages(request, { ...v2023, defaultMaxTokens: 1000 }).body.max_tokens).toBe(1000);
    expect(convertToAnthropicMessages({ ...request, max_tokens: 50, max_completion_tokens: 70 }, v2023).body.max_tokens).toBe(70);
  });

  it('maps tools, tool_choice and parallel_tool_calls', () => {
    const base: ChatRequest = {
      model: 'm', messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } },
        { type: 'function', function: { name: 'g' } }],
    };
    const { body } = convertToAnthropicMessages({ ...base, tool_choice: 'required', parallel_tool_calls: false }, v2023);
    expect(body.tools).toEqual([
      { name: 'f', description: 'd', input_schema: { type: 'object', properties: { a: { type: 'string' } } } },
      { name: 'g', input_schema: { type: 'object', properties: {} } },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(convertToAnthropicMessages({ ...base, tool_choice: 'auto' }, v2023).body.tool_choice).toEqual({ type: 'auto' });
    expect(convertToAnthropicMessages({ ...base, tool_choice: 'none' }, v2023).body.tool_choice).toEqual({ type: 'none' });
    expect(convertToAnthropicMessages({ ...base, tool_choice: { type: 'function', function: { name: 'g' } } }, v2023).body.tool_choice)
      .toEqual({ type: 'tool', name: 'g' });
    expect(convertToAnthropicMessages({ ...base, parallel_tool_calls: false }, v2023).body.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
  });

  it('converts base64 and URL images, PDFs to documents, stop and user', () => {
    const { body } = convertToAnthropicMessages({
      model: 'm',
      stop: ['END', '  '],
      user: 'u-1',
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'look' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } },
      ] }],
    }, v2023);
    expect(body.messages[0]?.content).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
    ]);
    expect(body.stop_sequences).toEqual(['END']);
    expect(body.metadata).toEqual({ user_id: 'u-1' });
  });

  it('sends temperature and top_p (clamped to Anthropic range) only before 2026-10-21', () => {
    const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 1.5, top_p: 0.9 };
    const old = convertToAnthropicMessages(request, v2023).body;
    expect([old.temperature, old.top_p]).toEqual([1, 0.9]);
    const current = convertToAnthropicMessages(request, v2026).body;
    expect('temperature' in current || 'top_p' in current || 'top_k' in current).toBe(false);
  });

  it('JSON modes: output_config.format with 2026-10-21, a forced tool with 2023-06-01', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } } };
    const request: ChatRequest = {
      model: 'm', messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema } },
    };
    expect(convertToAnthropicMessages(request, v2026).body.output_config).toEqual({ format: { type: 'json_schema', schema } });
    const forced = convertToAnthropicMessages(request, v2023);
    expect(forced.jsonTool).toBe(JSON_TOOL_NAME);
    expect(forced.body.tool_choice).toEqual({ type: 'tool', name: JSON_TOOL_NAME });
    expect(forced.body.tools?.[0]).toMatchObject({ name: JSON_TOOL_NAME, input_schema: schema });
    const jsonObject = convertToAnthropicMessages({ ...request, response_format: { type: 'json_object' } }, v2026);
    expect(jsonObject.body.output_config).toEqual({ format: { type: 'json_schema', schema: { type: 'object' } } });
  });

  it.each([
    [{ n: 2 }, 'n'],
    [{ tools: [{ type: 'custom' as const, custom: { name: 'x' } }] }, 'tools[0]'],
    [{ logprobs: true }, 'logprobs'],
    [{ presence_penalty: 0.5 }, 'presence_penalty'],
    [{ messages: [{ role: 'user' as const, content: [{ type: 'input_audio' as const, input_audio: { data: 'x', format: 'wav' } }] }] }, 'messages[0].content[0]'],
  ])('rejects unsupported combinations with invalid_request naming the param (%o)', (extra, param) => {
    const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra };
    let failure: unknown;
    try {
      convertToAnthropicMessages(request, v2023);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(GatewayError);
    expect(failure).toMatchObject({ code: 'invalid_request', param, status: 400 });
  });
});

describe('mapAnthropicStopReason', () => {
  it.each([
    ['end_turn', 'stop'], ['max_tokens', 'length'], ['tool_use', 'tool_calls'], ['refusal', 'content_filter'],
    ['stop_sequence', 'stop'], ['pause_turn', 'stop'], ['model_context_window_exceeded', 'length'], ['something_new', 'stop'], [null, 'stop'],
  ])('%s → %s', (reason, expected) => {
    expect(mapAnthropicStopReason(reason)).toBe(expected);
  });
});

describe('convertAnthropicUsage', () => {
  it('adds cache reads and writes to prompt tokens and reports both', () => {
    expect(convertAnthropicUsage({
      input_tokens: 12, cache_read_input_tokens: 1800, cache_creation_input_tokens: 100, output_tokens: 9,
      output_tokens_details: { thinking_tokens: 4 },
    })).toEqual({
      prompt_tokens: 1912, completion_tokens: 9, total_tokens: 1921,
      prompt_tokens_details: { cached_tokens: 1800, cache_write_tokens: 100 },
      completion_tokens_details: { reasoning_tokens: 4 },
    });
  });
});

describe('convertAnthropicMessage', () => {
  it('turns text and tool_use blocks into content and tool_calls', () => {
    const completion = convertAnthropicMessage({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', stop_reason: 'tool_use', stop_sequence: null,
      content: [{ type: 'thinking', thinking: 'hmm' }, { type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } }],
      usage: { input_tokens: 3, output_tokens: 4 },
    }, { jsonTool: null, now: 1_763_700_000_000 });
    expect(completion).toMatchObject({
      id: 'msg_1', object: 'chat.completion', created: 1_763_700_000, model: 'claude-x',
      choices: [{ index: 0, finish_reason: 'tool_calls', message: {
        role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      } }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    });
  });

  it('JSON mode through the forced tool: its input becomes the text, finish_reason stop', () => {
    const completion = convertAnthropicMessage({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', stop_reason: 'tool_use',
      content: [{ type: 'tool_use', id: 'toolu_1', name: JSON_TOOL_NAME, input: { answer: 'yes' } }],
      usage: { input_tokens: 3, output_tokens: 4 },
    }, { jsonTool: JSON_TOOL_NAME, now: 0 });
    expect(completion.choices[0]?.message.content).toBe('{"answer":"yes"}');
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });
});

describe('AnthropicStreamToChunks', () => {
  function run(events: object[], jsonTool: string | null = null): ChatCompletionChunk[] {
    const transform = new AnthropicStreamToChunks({ model: 'm', now: 0, jsonTool });
    return events.flatMap((event) => transform.push(anthropicStreamEventSchema.parse(event)));
  }

  const documentedStream = [
    { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-6', usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 1800, output_tokens: 1 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking.' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city": "Pa' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'ris"}' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01B', name: 'get_time', input: {} } },
    { type: 'content_block_stop', index: 2 },
    { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 41 } },
    { type: 'message_stop' },
  ];

  it('translates the documented stream: role first, ordinal tool indices, "{}" for empty input, one finish, usage last', () => {
    const chunks = run(documentedStream);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(toolDeltas).toEqual([
      { index: 0, id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"city": "Pa' } },
      { index: 0, function: { arguments: 'ris"}' } },
      { index: 1, id: 'toolu_01B', type: 'function', function: { name: 'get_time', arguments: '' } },
      { index: 1, function: { arguments: '{}' } },
    ]);
    const finishes = chunks.flatMap((chunk) => chunk.choices).map((choice) => choice.finish_reason).filter((reason) => reason !== null);
    expect(finishes).toEqual(['tool_calls']);
    expect(chunks.at(-1)).toMatchObject({
      id: 'msg_1', choices: [],
      usage: { prompt_tokens: 1812, completion_tokens: 41, total_tokens: 1853, prompt_tokens_details: { cached_tokens: 1800, cache_write_tokens: 0 } },
    });
  });

  it('streams a forced JSON tool as content and finishes with stop', () => {
    const chunks = run([
      documentedStream[0] ?? {},
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_j', name: JSON_TOOL_NAME, input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '1}' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ], JSON_TOOL_NAME);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('{"a":1}');
    expect(chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])).toEqual([]);
    expect(chunks.flatMap((chunk) => chunk.choices).map((choice) => choice.finish_reason).filter((reason) => reason !== null)).toEqual(['stop']);
  });
});
