import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from './chat.js';
import type { EmbeddingsRequest, EmbeddingsResult } from './embeddings.js';
import type { Usage } from './usage.js';

/** One upstream call as it happened, for `x-sluice-attempts` and the request log. */
export interface AttemptRecord {
  provider: string;
  model: string;
  startedAt: number;
  durationMs: number;
  /** The upstream's HTTP status, or null when no response arrived. */
  status: number | null;
  errorCode: string | null;
  errorMessage: string | null;
}

/** What every call below the HTTP layer receives. */
export interface CallContext {
  readonly requestId: string;
  /** Aborts when the client goes away or the request's deadline passes. */
  readonly signal: AbortSignal;
  /** Upstream calls made so far for this request; targets append to it. */
  readonly attempts: AttemptRecord[];
}

export interface ChatResult {
  completion: ChatCompletion;
  /** The upstream's bytes, when they can go to an OpenAI client unchanged. */
  body?: string | undefined;
  usage: Usage | null;
  provider: string;
  model: string;
}

export interface StreamChunk {
  chunk: ChatCompletionChunk;
  /** The chunk's JSON text as received, when it can go to an OpenAI client unchanged. */
  data?: string | undefined;
}

/**
 * A started stream. Errors before the first chunk are thrown by `streamChat` itself or by the
 * first step of `chunks`; after content has reached the client they end the stream.
 */
export interface ChatStream {
  provider: string;
  model: string;
  chunks: AsyncIterable<StreamChunk>;
}

/** An upstream speaking some vendor's API, or a route composed of several of them. */
export interface Provider {
  readonly name: string;
  chat(request: ChatRequest, context: CallContext): Promise<ChatResult>;
  streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream>;
  embed(request: EmbeddingsRequest, context: CallContext): Promise<EmbeddingsResult>;
}

/** True when a chunk carries output a user would see: text, a refusal or a tool call. */
export function hasContent(chunk: ChatCompletionChunk): boolean {
  for (const choice of chunk.choices) {
    const delta = choice.delta;
    if ((delta.content !== undefined && delta.content !== null && delta.content !== '') ||
      (delta.refusal !== undefined && delta.refusal !== null && delta.refusal !== '') ||
      (delta.tool_calls !== undefined && delta.tool_calls.length > 0)) {
      return true;
    }
  }
  return false;
}
