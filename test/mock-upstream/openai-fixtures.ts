/** Builders for replies in the exact OpenAI wire format (api-compat.md §1.3–1.7). */
import type { MockJsonReply, MockSseReply, SseEvent } from './mock-reply.js';

export interface OpenAiUsageOptions {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface OpenAiCompletionOptions {
  /** Default "Hello from mock", or null when tool calls are given. */
  content?: string | null;
  model?: string;
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
  /** Default "tool_calls" when tool calls are given, else "stop". */
  finishReason?: string;
  /** Default {5, 3, 8}; null leaves usage out. */
  usage?: OpenAiUsageOptions | null;
  id?: string;
  headers?: Record<string, string>;
}

export interface OpenAiStreamOptions {
  /** Content deltas, default ["Hello", " from", " mock"] (or none when tool calls are given). */
  content?: string[];
  toolCalls?: Array<{ id: string; name: string; argumentChunks: string[] }>;
  model?: string;
  finishReason?: string;
  /** Default {5, 3, 8}; null means no usage chunk (as without stream_options.include_usage). */
  usage?: OpenAiUsageOptions | null;
  /** Delay before every chunk. */
  chunkDelayMs?: number;
  id?: string;
  stallAfter?: number;
  resetAfter?: number;
  headers?: Record<string, string>;
}

export interface OpenAiErrorOptions {
  type?: string;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
}

export interface OpenAiEmbeddingsOptions {
  model?: string;
  /** 'base64' encodes each vector as little-endian float32, like OpenAI does for encoding_format: "base64". */
  encoding?: 'float' | 'base64';
  /** Default: the number of vectors. */
  promptTokens?: number;
}

export const DEFAULT_MOCK_MODEL = 'mock-model';
export const DEFAULT_MOCK_CONTENT = ['Hello', ' from', ' mock'];
const DEFAULT_USAGE: OpenAiUsageOptions = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
/** Fixed so that fixtures are deterministic. */
const MOCK_CREATED = 1_763_700_000;

export function openaiCompletion(options: OpenAiCompletionOptions = {}): MockJsonReply {
  const toolCalls = options.toolCalls ?? [];
  const hasToolCalls = toolCalls.length > 0;
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: options.content !== undefined ? options.content : hasToolCalls ? null : DEFAULT_MOCK_CONTENT.join(''),
    refusal: null,
  };
  if (hasToolCalls) {
    message.tool_calls = toolCalls.map((toolCall) => ({
      id: toolCall.id,
      type: 'function',
      function: { name: toolCall.name, arguments: toolCall.arguments },
    }));
  }
  const body: Record<string, unknown> = {
    id: options.id ?? 'chatcmpl-mock',
    object: 'chat.completion',
    created: MOCK_CREATED,
    model: options.model ?? DEFAULT_MOCK_MODEL,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: options.finishReason ?? (hasToolCalls ? 'tool_calls' : 'stop'),
      },
    ],
  };
  const usage = resolveUsage(options.usage);
  if (usage !== null) body.usage = usage;
  return { kind: 'json', status: 200, headers: withRequestId(options.headers), body };
}

export function openaiStream(options: OpenAiStreamOptions = {}): MockSseReply {
  const toolCalls = options.toolCalls ?? [];
  const hasToolCalls = toolCalls.length > 0;
  const usage = resolveUsage(options.usage);
  const base = {
    id: options.id ?? 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: MOCK_CREATED,
    model: options.model ?? DEFAULT_MOCK_MODEL,
  };
  // OpenAI only adds "usage": null to ordinary chunks when a usage chunk will follow.
  const chunk = (delta: object, finishReason: string | null = null): object => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(usage === null ? {} : { usage: null }),
  });

  const chunks: object[] = [chunk({ role: 'assistant', content: '' })];
  const contentDeltas = options.content ?? (hasToolCalls ? [] : DEFAULT_MOCK_CONTENT);
  for (const content of contentDeltas) chunks.push(chunk({ content }));
  toolCalls.forEach((toolCall, ordinal) => {
    chunks.push(chunk({ tool_calls: [toolCallHeader(ordinal, toolCall.id, toolCall.name)] }));
    for (const argumentsPart of toolCall.argumentChunks) {
      chunks.push(chunk({ tool_calls: [{ index: ordinal, function: { arguments: argumentsPart } }] }));
    }
  });
  chunks.push(chunk({}, options.finishReason ?? (hasToolCalls ? 'tool_calls' : 'stop')));
  if (usage !== null) chunks.push({ ...base, choices: [], usage });

  const reply: MockSseReply = {
    kind: 'sse',
    status: 200,
    headers: withRequestId(options.headers),
    events: chunks.map((data): SseEvent => withDelay({ data }, options.chunkDelayMs)),
    done: true,
  };
  if (options.stallAfter !== undefined) reply.stallAfter = options.stallAfter;
  if (options.resetAfter !== undefined) reply.resetAfter = options.resetAfter;
  return reply;
}

export function openaiError(status: number, message: string, options: OpenAiErrorOptions = {}): MockJsonReply {
  return {
    kind: 'json',
    status,
    headers: withRequestId(options.headers),
    body: {
      error: {
        message,
        type: options.type ?? defaultErrorType(status),
        param: options.param ?? null,
        code: options.code ?? null,
      },
    },
  };
}

export function openaiEmbeddings(vectors: number[][], options: OpenAiEmbeddingsOptions = {}): MockJsonReply {
  const promptTokens = options.promptTokens ?? vectors.length;
  return {
    kind: 'json',
    status: 200,
    headers: withRequestId(undefined),
    body: {
      object: 'list',
      data: vectors.map((vector, index) => ({
        object: 'embedding',
        index,
        embedding: options.encoding === 'base64' ? float32ToBase64(vector) : vector,
      })),
      model: options.model ?? 'mock-embedding',
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    },
  };
}

export function openaiModels(modelIds: string[] = [DEFAULT_MOCK_MODEL]): MockJsonReply {
  return {
    kind: 'json',
    status: 200,
    body: {
      object: 'list',
      data: modelIds.map((id) => ({ id, object: 'model', created: 0, owned_by: 'mock' })),
    },
  };
}

/** Little-endian float32 bytes, base64 encoded (what encoding_format: "base64" returns). */
export function float32ToBase64(values: number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  values.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}

function toolCallHeader(ordinal: number, id: string, name: string): object {
  return { index: ordinal, id, type: 'function', function: { name, arguments: '' } };
}

function resolveUsage(usage: OpenAiUsageOptions | null | undefined): OpenAiUsage | null {
  if (usage === null) return null;
  const chosen = usage ?? DEFAULT_USAGE;
  return {
    prompt_tokens: chosen.prompt_tokens,
    completion_tokens: chosen.completion_tokens,
    total_tokens: chosen.total_tokens ?? chosen.prompt_tokens + chosen.completion_tokens,
  };
}

function defaultErrorType(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status === 401) return 'authentication_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function withRequestId(headers: Record<string, string> | undefined): Record<string, string> {
  return { 'x-request-id': 'req_mock', ...headers };
}

function withDelay(event: SseEvent, delayMs: number | undefined): SseEvent {
  return delayMs === undefined ? event : { ...event, delayMs };
}
