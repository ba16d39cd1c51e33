import { convertWireUsage } from '../core/index.js';
import type { ChatCompletion, ChatCompletionChunk, ChatResult, ChatStream, StreamChunk } from '../core/index.js';
import type { CachedChatResult, CachedChoice } from './cached-result.js';

export interface ReplayIdentity {
  /** A fresh `chatcmpl-…` id for this answer. */
  id: string;
  /** Unix seconds. */
  created: number;
}

/** Pieces of an answer that came from JSON (no stream boundaries known) are cut at this many characters. */
export const REPLAY_PIECE_CHARS = 64;

/** A cached result as an OpenAI chat completion (for JSON callers; the Anthropic shell converts it). */
export function toCompletion(result: CachedChatResult, identity: ReplayIdentity): ChatCompletion {
  const completion: ChatCompletion = {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: result.model,
    choices: result.choices.map((choice) => ({
      index: choice.index,
      message: {
        role: 'assistant',
        content: choice.content,
        refusal: choice.refusal,
        ...(choice.reasoning === null ? {} : { reasoning_content: choice.reasoning }),
        ...(choice.toolCalls.length === 0 ? {} : {
          tool_calls: choice.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })),
        }),
      },
      finish_reason: choice.finishReason,
      logprobs: null,
    })),
    ...(result.usage === null ? {} : { usage: result.usage }),
    ...(result.systemFingerprint === null ? {} : { system_fingerprint: result.systemFingerprint }),
  };
  return completion;
}

/**
 * A cached result as the stream chunks an upstream would have sent, in its order: per choice the
 * role, reasoning pieces, content pieces, a refusal, each tool call (its header, then its
 * argument pieces), the finish; then usage when the caller asked for it. These go through the
 * normal writers, so a streamed hit looks like a streamed miss.
 */
export function toChunks(result: CachedChatResult, identity: ReplayIdentity, includeUsage: boolean): StreamChunk[] {
  const chunks: StreamChunk[] = [];
  const base = { id: identity.id, object: 'chat.completion.chunk' as const, created: identity.created, model: result.model };
  const push = (index: number, delta: ChatCompletionChunk['choices'][number]['delta'], finishReason: CachedChoice['finishReason'] = null): void => {
    chunks.push({
      chunk: {
        ...base,
        ...(result.systemFingerprint === null ? {} : { system_fingerprint: result.systemFingerprint }),
        choices: [{ index, delta, finish_reason: finishReason, logprobs: null }],
      },
    });
  };
  for (const choice of result.choices) {
    push(choice.index, { role: 'assistant', content: '' });
    for (const piece of cut(choice.reasoning, choice.reasoningCuts)) {
      // `reasoning_content` is no core field: OpenAI-compatible upstreams add it, and so does the replay.
      const delta = { content: undefined, reasoning_content: piece };
      push(choice.index, delta);
    }
    for (const piece of cut(choice.content, choice.contentCuts)) push(choice.index, { content: piece });
    if (choice.refusal !== null) push(choice.index, { refusal: choice.refusal });
    choice.toolCalls.forEach((call, ordinal) => {
      push(choice.index, { tool_calls: [{ index: ordinal, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] });
      for (const piece of cut(call.arguments, call.argumentCuts)) {
        push(choice.index, { tool_calls: [{ index: ordinal, function: { arguments: piece } }] });
      }
    });
    push(choice.index, {}, choice.finishReason);
  }
  if (includeUsage && result.usage !== null) chunks.push({ chunk: { ...base, choices: [], usage: result.usage } });
  return chunks;
}

/** A cached result as the ChatResult a JSON caller's shell writes. */
export function replayAsResult(result: CachedChatResult, identity: ReplayIdentity): ChatResult {
  const completion = toCompletion(result, identity);
  return { readCompletion: () => completion, usage: result.usage === null ? null : convertWireUsage(result.usage), provider: result.provider, model: result.providerModel };
}

/** A cached result as the ChatStream a streaming caller's shell writes (the usage chunk is dropped there unless asked for). */
export function replayAsStream(result: CachedChatResult, identity: ReplayIdentity): ChatStream {
  return { provider: result.provider, model: result.providerModel, chunks: fromArray(toChunks(result, identity, true)) };
}

export async function* fromArray(chunks: readonly StreamChunk[]): AsyncGenerator<StreamChunk> {
  for (const chunk of chunks) yield chunk;
}

/** Splits text at the recorded piece lengths, or every REPLAY_PIECE_CHARS characters (never inside a surrogate pair). */
function cut(text: string | null, cuts: number[] | null): string[] {
  if (text === null || text === '') return [];
  const pieces: string[] = [];
  if (cuts !== null && cuts.length > 0) {
    let offset = 0;
    for (const length of cuts) {
      pieces.push(text.slice(offset, offset + length));
      offset += length;
    }
    if (offset < text.length) pieces.push(text.slice(offset));
    return pieces;
  }
  let offset = 0;
  while (offset < text.length) {
    let end = Math.min(text.length, offset + REPLAY_PIECE_CHARS);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && code >= 0xd800 && code <= 0xdbff) end += 1;
    pieces.push(text.slice(offset, end));
    offset = end;
  }
  return pieces;
}
