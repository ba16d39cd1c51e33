import { describeErrorText, parseJsonOrUndefined } from '../../lib/index.js';
import { anthropicErrorBodySchema } from './anthropic-api.js';

/** Reads Anthropic's `{"type":"error","error":{type,message}}`; anything else keeps its (bounded) text. */
export function readAnthropicErrorBody(status: number, text: string): { message: string; type?: string | undefined } {
  const parsed = anthropicErrorBodySchema.safeParse(parseJsonOrUndefined(text));
  if (parsed.success) return { message: parsed.data.error.message, type: parsed.data.error.type };
  return { message: describeErrorText(status, text) };
}

/** Mid-stream error types worth another attempt (before any output reached the client). */
export function isRetryableAnthropicErrorType(type: string): boolean {
  return type === 'overloaded_error' || type === 'rate_limit_error' || type === 'api_error' || type === 'timeout_error';
}

