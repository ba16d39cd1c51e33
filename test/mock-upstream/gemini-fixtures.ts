/** Builders for replies in the Gemini generateContent wire format (api-compat.md §3.3–3.5). */
import type { MockJsonReply, MockSseReply, SseEvent } from './mock-reply.js';

export interface GeminiUsageOptions {
  promptTokenCount: number;
  candidatesTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiFunctionCall {
  name: string;
  args: object;
  id?: string;
}

export interface GeminiResponseOptions {
  /** Default "Hello from mock", or no text part when function calls are given. */
  text?: string | null;
  functionCalls?: GeminiFunctionCall[];
  /** Default "STOP" — Gemini has no dedicated function-call finish reason. */
  finishReason?: string;
  usage?: GeminiUsageOptions;
  modelVersion?: string;
  responseId?: string;
}

export interface GeminiStreamOptions {
  /** One chunk per text delta, default ["Hello", " from", " mock"] (none when function calls are given). */
  text?: string[];
  /** Sent whole, in one chunk after the text (Gemini does not stream arguments). */
  functionCalls?: GeminiFunctionCall[];
  finishReason?: string;
  usage?: GeminiUsageOptions;
  modelVersion?: string;
  responseId?: string;
  chunkDelayMs?: number;
  stallAfter?: number;
  resetAfter?: number;
  headers?: Record<string, string>;
}

const DEFAULT_TEXT = ['Hello', ' from', ' mock'];
const DEFAULT_USAGE: GeminiUsageOptions = { promptTokenCount: 5, candidatesTokenCount: 3 };

export function geminiResponse(options: GeminiResponseOptions = {}): MockJsonReply {
  const functionCalls = options.functionCalls ?? [];
  const text = options.text !== undefined ? options.text : functionCalls.length > 0 ? null : DEFAULT_TEXT.join('');
  const parts: object[] = text === null ? [] : [{ text }];
  for (const functionCall of functionCalls) parts.push({ functionCall });
  return {
    kind: 'json',
    status: 200,
    body: {
      candidates: [candidate(parts, options.finishReason ?? 'STOP')],
      usageMetadata: usageMetadata(options.usage ?? DEFAULT_USAGE),
      modelVersion: options.modelVersion ?? 'gemini-mock',
      responseId: options.responseId ?? 'mock-response',
    },
  };
}

/** An `alt=sse` stream: no [DONE]; the last chunk carries finishReason and usageMetadata. */
export function geminiStream(options: GeminiStreamOptions = {}): MockSseReply {
  const functionCalls = options.functionCalls ?? [];
  const textDeltas = options.text ?? (functionCalls.length > 0 ? [] : DEFAULT_TEXT);
  const partGroups: object[][] = textDeltas.map((text) => [{ text }]);
  if (functionCalls.length > 0) partGroups.push(functionCalls.map((functionCall) => ({ functionCall })));
  if (partGroups.length === 0) partGroups.push([{ text: '' }]);

  const lastIndex = partGroups.length - 1;
  const events = partGroups.map((parts, index): SseEvent => {
    const isLast = index === lastIndex;
    const data: Record<string, unknown> = {
      candidates: [candidate(parts, isLast ? (options.finishReason ?? 'STOP') : undefined)],
      modelVersion: options.modelVersion ?? 'gemini-mock',
      responseId: options.responseId ?? 'mock-response',
    };
    if (isLast) data.usageMetadata = usageMetadata(options.usage ?? DEFAULT_USAGE);
    const event: SseEvent = { data };
    if (options.chunkDelayMs !== undefined) event.delayMs = options.chunkDelayMs;
    return event;
  });

  const reply: MockSseReply = { kind: 'sse', status: 200, events };
  if (options.headers !== undefined) reply.headers = options.headers;
  if (options.stallAfter !== undefined) reply.stallAfter = options.stallAfter;
  if (options.resetAfter !== undefined) reply.resetAfter = options.resetAfter;
  return reply;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function geminiError(
  status: number,
  message: string,
  options: { status?: string; headers?: Record<string, string> } = {},
): MockJsonReply {
  const reply: MockJsonReply = {
    kind: 'json',
    status,
    body: { error: { code: status, message, status: options.status ?? STATUS_NAMES[status] ?? 'UNKNOWN' } },
  };
  if (options.headers !== undefined) reply.headers = options.headers;
  return reply;
}

function candidate(parts: object[], finishReason: string | undefined): object {
  const result: Record<string, unknown> = { content: { role: 'model', parts }, index: 0 };
  if (finishReason !== undefined) result.finishReason = finishReason;
  return result;
}

function usageMetadata(usage: GeminiUsageOptions): object {
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const result: Record<string, number> = {
    promptTokenCount: usage.promptTokenCount,
    candidatesTokenCount: usage.candidatesTokenCount,
    totalTokenCount: usage.totalTokenCount ?? usage.promptTokenCount + usage.candidatesTokenCount + thoughts,
  };
  if (usage.thoughtsTokenCount !== undefined) result.thoughtsTokenCount = usage.thoughtsTokenCount;
  if (usage.cachedContentTokenCount !== undefined) result.cachedContentTokenCount = usage.cachedContentTokenCount;
  return result;
}
