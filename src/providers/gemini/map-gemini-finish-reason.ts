import type { FinishReason } from '../../core/index.js';

const CONTENT_FILTER = new Set([
  'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION', 'LANGUAGE',
]);

/**
 * Gemini `finishReason` → OpenAI `finish_reason`. Gemini has no function-call
 * reason: a STOP with any function call in the answer is `tool_calls`. Unknown values end as `stop`.
 */
export function mapGeminiFinishReason(finishReason: string | null | undefined, sawFunctionCall: boolean): FinishReason {
  if (finishReason === 'MAX_TOKENS') return 'length';
  if (finishReason !== null && finishReason !== undefined && CONTENT_FILTER.has(finishReason)) return 'content_filter';
  return sawFunctionCall ? 'tool_calls' : 'stop';
}
