import type { ChatRequest, ContentPart, EmbeddingsRequest } from '../core/index.js';

export interface InputSize {
  characters: number;
  /** An upper-leaning estimate of prompt tokens: no tokenizer runs on the hot path. */
  tokens: number;
}

/** Tokens charged for a non-text part (an image tile, audio or a file) when it cannot be measured. */
const NON_TEXT_PART_TOKENS = 1000;
/** Characters per token: real BPE averages about 4 for English; 3 leans high, so reservations do too. */
const CHARACTERS_PER_TOKEN = 3;

export function estimateChatInput(request: ChatRequest): InputSize {
  let characters = 0;
  let extraTokens = 3;
  for (const message of request.messages) {
    extraTokens += 4;
    const content = message.content;
    if (typeof content === 'string') characters += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text = partText(part);
        if (text === null) extraTokens += NON_TEXT_PART_TOKENS;
        else characters += text.length;
      }
    }
    for (const call of message.tool_calls ?? []) characters += call.function.name.length + call.function.arguments.length;
  }
  if (request.tools !== undefined && request.tools !== null) {
    for (const tool of request.tools) {
      characters += tool.type === 'function'
        ? tool.function.name.length + (tool.function.description?.length ?? 0) + approximateLength(tool.function.parameters)
        : tool.custom.name.length + (tool.custom.description?.length ?? 0);
    }
  }
  return { characters, tokens: Math.ceil(characters / CHARACTERS_PER_TOKEN) + extraTokens };
}

export function estimateEmbeddingsInput(request: EmbeddingsRequest): InputSize {
  const input = request.input;
  if (typeof input === 'string') return { characters: input.length, tokens: Math.ceil(input.length / CHARACTERS_PER_TOKEN) + 1 };
  let characters = 0;
  let tokens = 0;
  for (const item of input) {
    if (typeof item === 'string') {
      characters += item.length;
      tokens += Math.ceil(item.length / CHARACTERS_PER_TOKEN) + 1;
    } else if (typeof item === 'number') tokens += 1;
    else tokens += item.length;
  }
  return { characters, tokens };
}

function partText(part: ContentPart): string | null {
  if (part.type === 'text') return part.text;
  if (part.type === 'refusal') return part.refusal;
  return null;
}

/** Length of a JSON value without serialising it (tool schemas are small, but not worth a stringify). */
function approximateLength(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string') return value.length + 2;
  if (typeof value !== 'object') return String(value).length;
  let length = 2;
  for (const [key, item] of Object.entries(value)) length += key.length + 4 + approximateLength(item);
  return length;
}
