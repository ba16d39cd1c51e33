import { createRequire } from 'node:module';
import type { ChatRequest, Usage } from '../core/index.js';

type CountTokens = (text: string) => number;

let counter: CountTokens | null = null;

/**
 * Counts tokens with gpt-tokenizer's o200k_base encoding (the GPT-4o/GPT-5 vocabulary; a fair
 * estimate for other vendors). The encoding is loaded on first use only, since most upstreams
 * report usage and the table costs ~50 MB.
 */
export function countTokens(text: string): number {
  if (counter === null) {
    const require = createRequire(import.meta.url);
    const encoding: { countTokens: CountTokens } = require('gpt-tokenizer/encoding/o200k_base');
    counter = encoding.countTokens;
  }
  return text === '' ? 0 : counter(text);
}

/** Per-message framing tokens in OpenAI's chat format. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;

/** Usage counted locally when an upstream reported none; the request log marks it estimated. */
export function estimateChatUsage(request: ChatRequest, completionText: string): Usage {
  let promptTokens = TOKENS_PER_REPLY;
  for (const message of request.messages) {
    promptTokens += TOKENS_PER_MESSAGE + countTokens(messageText(message.content));
    if ('name' in message && typeof message.name === 'string') promptTokens += countTokens(message.name);
  }
  if (request.tools !== undefined) promptTokens += countTokens(JSON.stringify(request.tools));
  const completionTokens = countTokens(completionText);
  return {
    promptTokens, completionTokens, totalTokens: promptTokens + completionTokens,
    cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
  };
}

/** Usage of an embeddings call counted locally. */
export function estimateEmbeddingsUsage(input: unknown): Usage {
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.filter((item) => typeof item === 'string') : [];
  const promptTokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  return { promptTokens, completionTokens: 0, totalTokens: promptTokens, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (part !== null && typeof part === 'object' && 'text' in part && typeof part.text === 'string') text += part.text;
  }
  return text;
}
