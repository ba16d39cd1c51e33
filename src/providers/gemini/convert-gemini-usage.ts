import type { WireUsage } from '../../core/index.js';
import type { GeminiUsage } from './gemini-api.js';

/**
 * Gemini's candidatesTokenCount leaves out thinking; OpenAI's completion_tokens includes it.
 * prompt = prompt + tool-use prompt, completion = candidates + thoughts, total = prompt + completion.
 */
export function convertGeminiUsage(usage: GeminiUsage): WireUsage {
  const prompt = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0);
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const completion = (usage.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: usage.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}
