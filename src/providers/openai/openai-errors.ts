import { describeErrorText, parseJsonOrUndefined } from '../../lib/index.js';
import type { ErrorBodyDetails } from '../upstream/index.js';
import { openaiErrorBodySchema } from './openai-api.js';

/** Reads the message of an OpenAI-style error body; anything else keeps its (bounded) text. */
export function readOpenAIErrorBody(status: number, text: string): ErrorBodyDetails {
  const parsed = openaiErrorBodySchema.safeParse(parseJsonOrUndefined(text));
  if (parsed.success) {
    const error = parsed.data.error;
    if (typeof error === 'string') return { message: error };
    return { message: error.message ?? `upstream status ${status}`, type: error.type ?? undefined, code: error.code === undefined || error.code === null ? null : String(error.code) };
  }
  return { message: describeErrorText(status, text) };
}

