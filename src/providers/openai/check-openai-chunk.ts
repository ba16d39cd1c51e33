import type { ChatCompletionChunk, FinishReason } from '../../core/index.js';

const FINISH_REASONS: ReadonlySet<string> = new Set<FinishReason>(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

/**
 * The per-chunk check of an OpenAI stream, by hand: the same rules as the chunk schema in
 * openai-api.ts (which the tests hold it to), at a fraction of a schema's cost on every chunk.
 * Normalises in place what the schema defaulted: a missing finish reason is null, an unknown one
 * is `stop`, a missing `completion_tokens` is 0.
 */
export function isOpenAIChunk(value: unknown): value is ChatCompletionChunk {
  if (!isRecord(value) || typeof value.id !== 'string' || value.object !== 'chat.completion.chunk' ||
    typeof value.created !== 'number' || typeof value.model !== 'string' || !Array.isArray(value.choices)) {
    return false;
  }
  for (const choice of value.choices) {
    if (!isRecord(choice) || typeof choice.index !== 'number' || !isRecord(choice.delta)) return false;
    const delta = choice.delta;
    if (delta.role !== undefined && delta.role !== 'assistant') return false;
    if (!isOptionalText(delta.content) || !isOptionalText(delta.refusal)) return false;
    if (delta.tool_calls !== undefined && !areToolCallDeltas(delta.tool_calls)) return false;
    const reason = choice.finish_reason;
    if (reason === undefined) choice.finish_reason = null;
    else if (reason !== null && (typeof reason !== 'string' || !FINISH_REASONS.has(reason))) choice.finish_reason = 'stop';
  }
  return value.usage === undefined || value.usage === null || isUsage(value.usage);
}

function areToolCallDeltas(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const call of value) {
    if (!isRecord(call) || typeof call.index !== 'number') return false;
    if (call.id !== undefined && typeof call.id !== 'string') return false;
    if (call.type !== undefined && call.type !== 'function') return false;
    const fn = call.function;
    if (fn !== undefined && (!isRecord(fn) || (fn.name !== undefined && typeof fn.name !== 'string') ||
      (fn.arguments !== undefined && typeof fn.arguments !== 'string'))) return false;
  }
  return true;
}

function isUsage(value: unknown): boolean {
  if (!isRecord(value) || typeof value.prompt_tokens !== 'number' || typeof value.total_tokens !== 'number') return false;
  if (value.completion_tokens === undefined) value.completion_tokens = 0;
  else if (typeof value.completion_tokens !== 'number') return false;
  return isOptionalDetails(value.prompt_tokens_details, ['cached_tokens', 'cache_write_tokens']) &&
    isOptionalDetails(value.completion_tokens_details, ['reasoning_tokens']);
}

function isOptionalDetails(value: unknown, fields: readonly string[]): boolean {
  if (value === undefined || value === null) return true;
  if (!isRecord(value)) return false;
  return fields.every((field) => value[field] === undefined || value[field] === null || typeof value[field] === 'number');
}

function isOptionalText(value: unknown): boolean {
  return value === undefined || value === null || typeof value === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
