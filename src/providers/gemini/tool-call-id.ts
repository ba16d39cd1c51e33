/**
 * Gemini 3 rejects a follow-up turn whose function calls lost their thought signature, and OpenAI
 * clients echo only a tool call's id, type and function. So the signature rides inside the id:
 * `call_<random>__thought__<base64url(signature)>` (base64url keeps the id within
 * `[A-Za-z0-9_-]`, which Anthropic also requires of tool_use ids).
 */
const SEPARATOR = '__thought__';

export function encodeToolCallId(base: string, signature: string | null | undefined): string {
  if (signature === null || signature === undefined || signature === '') return base;
  return `${base}${SEPARATOR}${Buffer.from(signature, 'utf8').toString('base64url')}`;
}

export function decodeToolCallId(id: string): { base: string; signature: string | null } {
  const at = id.indexOf(SEPARATOR);
  if (at === -1) return { base: id, signature: null };
  const encoded = id.slice(at + SEPARATOR.length);
  return { base: id.slice(0, at), signature: encoded === '' ? null : Buffer.from(encoded, 'base64url').toString('utf8') };
}
