import { geminiErrorBodySchema } from './gemini-api.js';

/** Reads Gemini's `{"error":{code,message,status}}`, also when wrapped in an array; else the bounded text. */
export function readGeminiErrorBody(status: number, text: string): { message: string; type?: string | undefined } {
  let json = safeJson(text);
  if (Array.isArray(json)) json = json[0];
  const parsed = geminiErrorBodySchema.safeParse(json);
  if (parsed.success) {
    const error = parsed.data.error;
    return { message: error.status ? `${error.status}: ${error.message}` : error.message, type: error.status ?? undefined };
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
