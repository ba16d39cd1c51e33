import { describeErrorText, parseJsonOrUndefined } from '../../lib/index.js';
import { geminiErrorBodySchema } from './gemini-api.js';

/** Reads Gemini's `{"error":{code,message,status}}`, also when wrapped in an array; else the bounded text. */
export function readGeminiErrorBody(status: number, text: string): { message: string; type?: string | undefined } {
  let json = parseJsonOrUndefined(text);
  if (Array.isArray(json)) json = json[0];
  const parsed = geminiErrorBodySchema.safeParse(json);
  if (parsed.success) {
    const error = parsed.data.error;
    return { message: error.status ? `${error.status}: ${error.message}` : error.message, type: error.status ?? undefined };
  }
  return { message: describeErrorText(status, text) };
}

