import type { WireUsage } from './chat.js';

/** Token counts of one call, in the units the request log and pricing use. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** Prompt tokens read from a provider's cache (included in promptTokens). */
  cachedTokens: number;
  /** Prompt tokens written to a provider's cache (included in promptTokens). */
  cacheWriteTokens: number;
  /** Completion tokens spent on reasoning (included in completionTokens). */
  reasoningTokens: number;
}

export function convertWireUsage(usage: WireUsage): Usage {
  return {
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    totalTokens: usage.total_tokens,
    cachedTokens: usage.prompt_tokens_details?.cached_tokens ?? 0,
    cacheWriteTokens: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
  };
}
