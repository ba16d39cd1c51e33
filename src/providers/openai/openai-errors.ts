import type { ErrorBodyDetails } from '../upstream/index.js';
import { openaiErrorBodySchema } from './openai-api.js';

/** Reads the message of an OpenAI-style error body; anything else keeps its (bounded) text. */
export function readOpenAIErrorBody(status: number, text: string): ErrorBodyDetails {
  const parsed = openaiErrorBodySchema.safeParse(safeJson(text));
  if (parsed.success) {
    const error = parsed.data.error;
    if (typeof error === 'string') return { message: error };
    return { message: error.message ?? `upstream status ${status}`, type: error.type ?? undefined, code: error.code === undefined || error.code === null ? null : String(error.code) };
  }
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('<')) return { message: `upstream status ${status}` };
  return { message: trimmed.slice(0, 500) };
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
