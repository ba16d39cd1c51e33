import type { ChatCompletion, FinishReason, WireUsage } from '../../core/index.js';

export interface AnthropicUsageOut {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** OpenAI finish_reason → Anthropic stop_reason; tool calls present always mean tool_use. */
export function toAnthropicStopReason(finishReason: FinishReason | null, sawToolCall: boolean): string {
  if (sawToolCall) return 'tool_use';
  switch (finishReason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    case 'stop':
    case null:
      return 'end_turn';
  }
}

/** OpenAI usage → Anthropic usage: input_tokens counts only what was neither read from nor written to cache. */
export function toAnthropicUsage(usage: WireUsage | null | undefined): AnthropicUsageOut {
  const cacheRead = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const cacheWrite = usage?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cacheRead - cacheWrite),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
  };
}

export function toAnthropicMessageId(id: string): string {
  return id.startsWith('msg_') ? id : `msg_${id}`;
}

/** OpenAI chat completion → Anthropic Message (the first choice). */
export function toAnthropicMessage(completion: ChatCompletion): Record<string, unknown> {
  const choice = completion.choices[0];
  const content: object[] = [];
  const message = choice?.message;
  const text = (message?.content ?? '') + (message?.refusal ?? '');
  if (text !== '') content.push({ type: 'text', text });
  for (const call of message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseInput(call.function.arguments) });
  }
  return {
    id: toAnthropicMessageId(completion.id),
    type: 'message',
    role: 'assistant',
    model: completion.model,
    content,
    stop_reason: toAnthropicStopReason(choice?.finish_reason ?? null, (message?.tool_calls?.length ?? 0) > 0),
    stop_sequence: null,
    usage: toAnthropicUsage(completion.usage),
  };
}

/** Tool arguments as an object; a model's malformed JSON is kept as a string under `_raw`. */
export function parseInput(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  return { _raw: text };
}
