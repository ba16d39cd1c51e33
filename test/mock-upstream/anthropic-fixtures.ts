/** Builders for replies in the Anthropic Messages wire format (api-compat.md §2.3–2.5). */
import type { MockJsonReply, MockSseReply, SseEvent } from './mock-reply.js';

export interface AnthropicUsageOptions {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface AnthropicMessageOptions {
  /** Default "Hello from mock", or no text block when tool uses are given. */
  text?: string | null;
  toolUses?: Array<{ id: string; name: string; input: object }>;
  model?: string;
  /** Default "tool_use" when tool uses are given, else "end_turn". */
  stopReason?: string;
  usage?: AnthropicUsageOptions;
  id?: string;
  headers?: Record<string, string>;
}

export interface AnthropicStreamOptions {
  /** Text deltas of one text block, default ["Hello", " from", " mock"] (none when tool uses are given). */
  text?: string[];
  /** Each tool use becomes its own content block; input JSON arrives as partial_json chunks. */
  toolUses?: Array<{ id: string; name: string; inputChunks: string[] }>;
  model?: string;
  stopReason?: string;
  usage?: AnthropicUsageOptions;
  /** Insert a ping event after message_start, as the real API does. */
  ping?: boolean;
  chunkDelayMs?: number;
  id?: string;
  stallAfter?: number;
  resetAfter?: number;
  headers?: Record<string, string>;
}

export interface AnthropicErrorOptions {
  type?: string;
  headers?: Record<string, string>;
}

const DEFAULT_TEXT = ['Hello', ' from', ' mock'];
const DEFAULT_MODEL = 'claude-mock';
const DEFAULT_USAGE: AnthropicUsageOptions = { input_tokens: 5, output_tokens: 3 };

export function anthropicMessage(options: AnthropicMessageOptions = {}): MockJsonReply {
  const toolUses = options.toolUses ?? [];
  const text = options.text !== undefined ? options.text : toolUses.length > 0 ? null : DEFAULT_TEXT.join('');
  const content: object[] = [];
  if (text !== null) content.push({ type: 'text', text });
  for (const toolUse of toolUses) content.push({ type: 'tool_use', ...toolUse });
  return {
    kind: 'json',
    status: 200,
    headers: withRequestId(options.headers),
    body: {
      id: options.id ?? 'msg_mock',
      type: 'message',
      role: 'assistant',
      model: options.model ?? DEFAULT_MODEL,
      content,
      stop_reason: options.stopReason ?? (toolUses.length > 0 ? 'tool_use' : 'end_turn'),
      stop_sequence: null,
      usage: fullUsage(options.usage ?? DEFAULT_USAGE),
    },
  };
}

export function anthropicStream(options: AnthropicStreamOptions = {}): MockSseReply {
  const toolUses = options.toolUses ?? [];
  const textDeltas = options.text ?? (toolUses.length > 0 ? [] : DEFAULT_TEXT);
  const usage = fullUsage(options.usage ?? DEFAULT_USAGE);
  const events: SseEvent[] = [];
  const push = (type: string, payload: object): void => {
    const event: SseEvent = { event: type, data: { type, ...payload } };
    if (options.chunkDelayMs !== undefined) event.delayMs = options.chunkDelayMs;
    events.push(event);
  };

  push('message_start', {
    message: {
      id: options.id ?? 'msg_mock',
      type: 'message',
      role: 'assistant',
      content: [],
      model: options.model ?? DEFAULT_MODEL,
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  if (options.ping === true) push('ping', {});
  let blockIndex = 0;
  if (textDeltas.length > 0) {
    push('content_block_start', { index: blockIndex, content_block: { type: 'text', text: '' } });
    for (const text of textDeltas) {
      push('content_block_delta', { index: blockIndex, delta: { type: 'text_delta', text } });
    }
    push('content_block_stop', { index: blockIndex });
    blockIndex += 1;
  }
  for (const toolUse of toolUses) {
    push('content_block_start', {
      index: blockIndex,
      content_block: { type: 'tool_use', id: toolUse.id, name: toolUse.name, input: {} },
    });
    for (const partial of toolUse.inputChunks) {
      push('content_block_delta', { index: blockIndex, delta: { type: 'input_json_delta', partial_json: partial } });
    }
    push('content_block_stop', { index: blockIndex });
    blockIndex += 1;
  }
  push('message_delta', {
    delta: { stop_reason: options.stopReason ?? (toolUses.length > 0 ? 'tool_use' : 'end_turn'), stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  push('message_stop', {});

  const reply: MockSseReply = { kind: 'sse', status: 200, headers: withRequestId(options.headers), events };
  if (options.stallAfter !== undefined) reply.stallAfter = options.stallAfter;
  if (options.resetAfter !== undefined) reply.resetAfter = options.resetAfter;
  return reply;
}

export function anthropicError(status: number, message: string, options: AnthropicErrorOptions = {}): MockJsonReply {
  return {
    kind: 'json',
    status,
    headers: withRequestId(options.headers),
    body: {
      type: 'error',
      error: { type: options.type ?? defaultErrorType(status), message },
      request_id: 'req_mock',
    },
  };
}

/** An `event: error` SSE event, as sent mid-stream (e.g. overloaded_error after a 200). */
export function anthropicStreamError(message: string, type = 'overloaded_error'): SseEvent {
  return { event: 'error', data: { type: 'error', error: { type, message } } };
}

function fullUsage(usage: AnthropicUsageOptions): Required<AnthropicUsageOptions> {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

function defaultErrorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** Anthropic names its request id header `request-id` (not x-request-id). */
function withRequestId(headers: Record<string, string> | undefined): Record<string, string> {
  return { 'request-id': 'req_mock', ...headers };
}
