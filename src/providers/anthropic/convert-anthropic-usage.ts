import type { WireUsage } from '../../core/index.js';
import type { AnthropicUsage } from './anthropic-api.js';

/**
 * Anthropic counts cached input apart from `input_tokens`; OpenAI's prompt_tokens includes it.
 * prompt = input + cache read + cache write, cached_tokens = cache read, total = prompt + completion.
 */
export function convertAnthropicUsage(usage: AnthropicUsage): WireUsage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const prompt = (usage.input_tokens ?? 0) + cacheRead + cacheWrite;
  const completion = usage.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cacheRead, cache_write_tokens: cacheWrite },
    completion_tokens_details: { reasoning_tokens: usage.output_tokens_details?.thinking_tokens ?? 0 },
  };
}
