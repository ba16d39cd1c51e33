import type { ChatCompletion, ChatCompletionChunk, ChatRequest } from './chat.js';
import type { EmbeddingsRequest, EmbeddingsResult } from './embeddings.js';
import type { GatewayError } from './gateway-error.js';
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
  /** Why this attempt was made: the first try, a retry of the same target, a fallback, a hedge, or a service's re-ask. */
  kind?: 'first' | 'retry' | 'fallback' | 'hedge' | 'reask' | undefined;
}

/** What every call below the HTTP layer receives. */
export interface CallContext {
  readonly requestId: string;
  /** Aborts when the client goes away or the request's deadline passes. */
  readonly signal: AbortSignal;
  /** Upstream calls made so far for this request; targets append to it. */
  readonly attempts: AttemptRecord[];
  /** Epoch ms by which the whole request must be done (set by the route's timeout); none when absent. */
  readonly deadline?: number | undefined;
  /** How routing labels the next attempt it starts; wrappers set it on the context they pass down. */
  readonly attemptKind?: AttemptRecord['kind'];
  /**
   * The request as the client sent it, when it came in through a non-OpenAI entrance. An adapter
   * speaking that same format may send it nearly as-is instead of translating `ChatRequest`.
   */
  readonly ingress?: IngressRequest | undefined;
}

/** An Anthropic Messages body received on /v1/messages (already validated at the edge). */
export interface IngressRequest {
  format: 'anthropic';
  body: Readonly<Record<string, unknown>>;
  /** The client's `anthropic-version`. */
  version: string;
  /** Client headers meant for a native upstream, e.g. `anthropic-beta`. */
  headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Set when part of the body has no faithful ChatRequest translation (an Anthropic server tool,
   * say). Only an adapter that sends the body natively can serve it; every other adapter must
   * throw this (see `assertTranslatable`) before calling its upstream.
   */
  untranslatable?: GatewayError | undefined;
}

/** Throws when the call came in through another API and could not be translated faithfully. */
export function assertTranslatable(context: CallContext): void {
  const problem = context.ingress?.untranslatable;
  if (problem !== undefined) throw problem;
}

/** An upstream answer in the ingress's own format, to go to the client unchanged. */
export interface NativeBody {
  format: 'anthropic';
  body: Buffer;
}

/** One upstream SSE event in the ingress's own format. */
export interface NativeEvent {
  format: 'anthropic';
  event: string;
  data: string;
}

/** Set on a result or stream that is the model's configured static answer after every attempt failed. */
export interface StaticFallback {
  /** The failure that the static answer replaces; the request log records it. */
  error: unknown;
}

export interface ChatResult {
  /**
   * The answer as a checked core completion. A pass-through provider checks it only when asked
   * (translation, caching), so this may throw `provider_error` for a malformed upstream body.
   */
  readCompletion(): ChatCompletion;
  /** The upstream's bytes, when they can go to an OpenAI client unchanged. */
  body?: string | undefined;
  /** The upstream's answer in the ingress format, when the call passed the ingress body through. */
  native?: NativeBody | undefined;
  usage: Usage | null;
  provider: string;
  model: string;
  staticFallback?: StaticFallback | undefined;
}

export interface StreamChunk {
  chunk: ChatCompletionChunk;
  /** The chunk's JSON text as received, when it can go to an OpenAI client unchanged. */
  data?: string | undefined;
  /**
   * The upstream event this chunk came from, when the call passed the ingress body through. A
   * native stream carries it on every upstream event (chunk may then have no choices); chunks
   * without it are translation extras that a native writer skips.
   */
  native?: NativeEvent | undefined;
}

/**
 * A started stream. Errors before the first chunk are thrown by `streamChat` itself or by the
 * first step of `chunks`; after content has reached the client they end the stream.
 */
export interface ChatStream {
  provider: string;
  model: string;
  chunks: AsyncIterable<StreamChunk>;
  staticFallback?: StaticFallback | undefined;
}

/** An upstream speaking some vendor's API, or a route composed of several of them. */
export interface Provider {
  readonly name: string;
  chat(request: ChatRequest, context: CallContext): Promise<ChatResult>;
  streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream>;
  embed(request: EmbeddingsRequest, context: CallContext): Promise<EmbeddingsResult>;
  /** The request's input tokens as the vendor counts them; only vendors with a counting endpoint have it. */
  countTokens?(request: ChatRequest, context: CallContext): Promise<number>;
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
