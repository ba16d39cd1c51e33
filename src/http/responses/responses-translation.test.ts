import { describe, expect, it } from 'vitest';
import { checkResponseStream } from '../../../test/support/check-response-stream.js';
import type { ChatCompletionChunk, FinishReason } from '../../core/index.js';
import { GatewayError } from '../../core/index.js';
import { ChunksToResponseEvents } from './chunks-to-response-events.js';
import type { ResponseEvent } from './chunks-to-response-events.js';
import { convertFromResponsesRequest } from './convert-from-responses-request.js';
import type { ResponsesInputItem, ResponsesRequest } from './responses-wire.js';
import { responsesRequestSchema } from './responses-wire.js';
import { createResponseSkeleton, toResponseObject } from './to-response-object.js';

function counterIds(): (prefix: string) => string {
  let next = 0;
  return (prefix) => `${prefix}_${++next}`;
}

function parse(body: Record<string, unknown>): ResponsesRequest {
  return responsesRequestSchema.parse({ model: 'smart', ...body });
}

function refusal(body: Record<string, unknown>): GatewayError {
  try {
    convertFromResponsesRequest(parse(body), [], counterIds());
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('convertFromResponsesRequest', () => {
  it('turns a string input into one user message after the instructions', () => {
    const { request, inputItems } = convertFromResponsesRequest(parse({ input: 'Hi', instructions: 'Be brief.' }), [], counterIds());
    expect(request.messages).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }].map((message) =>
      message.role === 'user' ? { role: 'user', content: [{ type: 'text', text: 'Hi' }] } : message));
    expect(inputItems).toEqual([{ type: 'message', id: 'msg_1', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }]);
  });

  it('maps developer to system, images to image parts, and pairs function calls with their outputs', () => {
    const { request } = convertFromResponsesRequest(parse({
      input: [
        { role: 'developer', content: 'Use tools.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Weather?' }, { type: 'input_image', image_url: 'https://x/cat.png', detail: 'low' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '18C' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'noon' }] },
      ],
    }), [], counterIds());
    expect(request.messages).toEqual([
      { role: 'system', content: 'Use tools.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }, { type: 'image_url', image_url: { url: 'https://x/cat.png', detail: 'low' } }] },
      {
        role: 'assistant', content: 'Checking.', tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '18C' },
      { role: 'tool', tool_call_id: 'call_2', content: 'noon' },
    ]);
  });

  it('puts the previous context first; instructions are this request\'s only', () => {
    const history: ResponsesInputItem[] = [
      { type: 'message', id: 'msg_a', role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] },
      { type: 'function_call', id: 'fc_a', call_id: 'call_1', name: 'get_weather', arguments: '{}' },
    ];
    const { request, inputItems } = convertFromResponsesRequest(parse({
      instructions: 'Now.', input: [{ type: 'function_call_output', call_id: 'call_1', output: 'sunny' }],
    }), history, counterIds());
    expect(request.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(request.messages[2]?.tool_calls?.[0]?.id).toBe('call_1');
    expect(inputItems).toEqual([{ type: 'function_call_output', id: 'fco_1', call_id: 'call_1', output: 'sunny' }]);
  });

  it('translates tools, tool_choice, text.format, max_output_tokens, reasoning and the end user', () => {
    const { request } = convertFromResponsesRequest(parse({
      input: 'x',
      tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'get_weather' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      max_output_tokens: 64,
      reasoning: { effort: 'low' },
      user: 'legacy-user',
      safety_identifier: 'user-42',
      temperature: 0.5,
      stream: true,
    }), [], counterIds());
    expect(request).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      max_completion_tokens: 64,
      reasoning_effort: 'low',
      user: 'user-42',
      temperature: 0.5,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(request.max_tokens).toBeUndefined();
  });

  it('refuses what it cannot honour, naming the parameter', () => {
    expect(refusal({ input: 'x', tools: [{ type: 'web_search' }] })).toMatchObject({ code: 'invalid_request', param: 'tools[0].type' });
    expect(refusal({ input: 'x', tool_choice: { type: 'file_search' } })).toMatchObject({ param: 'tool_choice' });
    expect(refusal({ input: [{ type: 'web_search_call', id: 'ws_1' }] })).toMatchObject({ param: 'input[0].type' });
    expect(refusal({ input: [{ type: 'item_reference', id: 'msg_1' }] })).toMatchObject({ param: 'input[0].type' });
    expect(refusal({ input: 'x', background: true })).toMatchObject({ param: 'background' });
    expect(refusal({ input: 'x', conversation: 'conv_1' })).toMatchObject({ param: 'conversation' });
    expect(refusal({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] }))
      .toMatchObject({ param: 'input[0].content[0].file_id' });
    expect(refusal({ input: [{ type: 'function_call', call_id: 'c' }] })).toMatchObject({ param: 'input[0].name' });
    expect(refusal({})).toMatchObject({ param: 'input' });
  });
});

const skeleton = createResponseSkeleton(parse({ input: 'x', instructions: 'Be brief.' }), { id: 'resp_1', createdAt: 1_700_000_000, store: true });

describe('toResponseObject', () => {
  it('gives text one message item and each tool call a function_call item', () => {
    const response = toResponseObject({
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm',
      choices: [{
        index: 0, logprobs: null, finish_reason: 'tool_calls',
        message: { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } },
    }, skeleton, counterIds(), 1_700_000_001);
    expect(response).toMatchObject({
      id: 'resp_1', object: 'response', status: 'completed', completed_at: 1_700_000_001, instructions: 'Be brief.',
      output: [
        { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
        { type: 'function_call', id: 'fc_2', call_id: 'call_1', name: 'get_weather', arguments: '{}', status: 'completed' },
      ],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 },
    });
  });

  it('reports a length stop as incomplete with reason max_output_tokens', () => {
    const response = toResponseObject({
      id: 'c', object: 'chat.completion', created: 1, model: 'm',
      choices: [{ index: 0, logprobs: null, finish_reason: 'length', message: { role: 'assistant', content: 'Once upon' } }],
    }, skeleton, counterIds(), 2);
    expect(response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, completed_at: null, usage: null });
  });
});

interface ChunkScript {
  text?: string[];
  refusal?: string;
  tools?: Array<{ id: string; name: string; args: string[] }>;
  finish?: FinishReason | null;
  usage?: boolean;
}

function chunks(script: ChunkScript): ChatCompletionChunk[] {
  const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
  const list: ChatCompletionChunk[] = [{ ...base, choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] }];
  for (const text of script.text ?? []) list.push({ ...base, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
  if (script.refusal !== undefined) list.push({ ...base, choices: [{ index: 0, delta: { refusal: script.refusal }, finish_reason: null }] });
  (script.tools ?? []).forEach((tool, index) => {
    list.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index, id: tool.id, type: 'function', function: { name: tool.name, arguments: '' } }] }, finish_reason: null }] });
    for (const args of tool.args) list.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: args } }] }, finish_reason: null }] });
  });
  if (script.finish !== null) list.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: script.finish ?? 'stop' }] });
  if (script.usage !== false) list.push({ ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
  return list;
}

function run(script: ChunkScript): { events: ResponseEvent[]; final: ReturnType<ChunksToResponseEvents['end']> } {
  const translator = new ChunksToResponseEvents(skeleton, counterIds());
  const events = translator.start();
  for (const chunk of chunks(script)) events.push(...translator.push(chunk));
  const final = translator.end(1_700_000_002);
  events.push(...final.closing, final.terminal);
  return { events, final };
}

const asSse = (events: ResponseEvent[]) => events.map((data) => ({ event: data.type, data }));

describe('ChunksToResponseEvents', () => {
  it('streams text in the order the SDK expects', () => {
    const { events, final } = run({ text: ['Hel', 'lo'] });
    expect(events.map((event) => event.type)).toEqual([
      'response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta', 'response.output_text.done', 'response.content_part.done',
      'response.output_item.done', 'response.completed',
    ]);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_event, index) => index));
    expect(final.response.output).toEqual([
      { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello', annotations: [], logprobs: [] }] },
    ]);
    expect(final.response.usage?.total_tokens).toBe(5);
    expect(checkResponseStream(asSse(events))).toEqual([]);
  });

  it('opens one function_call item per tool call, with its name on every done event', () => {
    const { events, final } = run({ text: ['Checking.'], tools: [{ id: 'call_a', name: 'get_weather', args: ['{"city":', '"Paris"}'] }, { id: 'call_b', name: 'get_time', args: [] }], finish: 'tool_calls' });
    expect(checkResponseStream(asSse(events))).toEqual([]);
    expect(final.response.output.map((item) => item.type)).toEqual(['message', 'function_call', 'function_call']);
    expect(final.response.output[1]).toEqual({ type: 'function_call', id: 'fc_2', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' });
    const done = events.filter((event) => event.type === 'response.function_call_arguments.done');
    expect(done.map((event) => [event.name, event.arguments])).toEqual([['get_weather', '{"city":"Paris"}'], ['get_time', '']]);
  });

  it('closes every item even when the upstream never sends a finish reason', () => {
    const { events, final } = run({ text: ['Hi'], finish: null, usage: false });
    expect(checkResponseStream(asSse(events))).toEqual([]);
    expect(final.response.status).toBe('completed');
    expect(final.terminal.type).toBe('response.completed');
  });

  it('ends a length stop with response.incomplete', () => {
    const { events, final } = run({ text: ['Once'], finish: 'length' });
    expect(checkResponseStream(asSse(events))).toEqual([]);
    expect(final.terminal.type).toBe('response.incomplete');
    expect(final.response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(final.response.output[0]).toMatchObject({ status: 'incomplete' });
  });

  it('streams a refusal as its own content part', () => {
    const { events, final } = run({ refusal: 'I cannot help with that.' });
    expect(checkResponseStream(asSse(events))).toEqual([]);
    expect(final.response.output[0]).toMatchObject({ content: [{ type: 'refusal', refusal: 'I cannot help with that.' }] });
  });

  it('ends a stream that failed after content with response.failed', () => {
    const translator = new ChunksToResponseEvents(skeleton, counterIds());
    const events = translator.start();
    for (const chunk of chunks({ text: ['Hal'], finish: null, usage: false })) events.push(...translator.push(chunk));
    const failed = translator.fail({ code: 'provider_error', message: 'dropped' });
    events.push(failed.event);
    expect(checkResponseStream(asSse(events))).toEqual([]);
    expect(failed.response).toMatchObject({ status: 'failed', error: { code: 'provider_error', message: 'dropped' } });
  });

  it('the checker catches what strict clients reject', () => {
    const { events } = run({ text: ['Hi'] });
    const withoutAdded = events.filter((event) => event.type !== 'response.output_item.added');
    expect(checkResponseStream(asSse(withoutAdded))).not.toEqual([]);
    const reordered = [...events];
    [reordered[4], reordered[5]] = [reordered[5] as ResponseEvent, reordered[4] as ResponseEvent];
    expect(checkResponseStream(asSse(reordered)).join()).toMatch(/sequence_number|not open/);
    expect(checkResponseStream(asSse(events.slice(0, -1)))).toEqual(['the stream has no terminal event']);
  });
});
