import { GatewayError } from '../core/index.js';
import type { CallContext, ChatRequest, ChatStream, EmbeddingsRequest, Provider } from '../core/index.js';
import { hookStream } from './hook-stream.js';
import type { Clock } from '../lib/index.js';

/** One provider call, made against whichever route a wrapper chooses, under the context it passes. */
export type Call<T> = (route: Provider, context: CallContext) => Promise<T>;

/** A wrapper's policy for running one call; the same for chat, streams and embeddings. */
export type Runner = <T>(call: Call<T>, context: CallContext) => Promise<T>;

/** Builds a Provider whose three methods all go through `run`. */
export function providerFrom(name: string, run: Runner): Provider {
  return {
    name,
    chat: (request: ChatRequest, context: CallContext) => run((route, inner) => route.chat(request, inner), context),
    streamChat: (request: ChatRequest, context: CallContext) => run((route, inner) => route.streamChat(request, inner), context),
    embed: (request: EmbeddingsRequest, context: CallContext) => run((route, inner) => route.embed(request, inner), context),
  };
}

/** True for failures another attempt (the same target later, or another target) may fix. */
export function isRetryable(error: unknown): boolean {
  return error instanceof GatewayError && error.retryable;
}

export interface ChildAbort {
  readonly signal: AbortSignal;
  abort(reason: unknown): void;
  /** Stops following the parent. */
  detach(): void;
}

/** A signal that follows `parent` and can also be aborted on its own (one attempt, one hedge). */
export function childAbort(parent: AbortSignal): ChildAbort {
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason) => {
      if (!controller.signal.aborted) controller.abort(reason);
    },
    detach: () => parent.removeEventListener('abort', onParentAbort),
  };
}

/** A timer whose expiry rejects `expired`; racing work against it bounds how long it may take. */
export class TimeLimit {
  readonly expired: Promise<never>;
  private cancelTimer: () => void = () => undefined;

  constructor(clock: Clock, delayMs: number, onExpire: () => unknown) {
    this.expired = new Promise<never>((_resolve, reject) => {
      this.cancelTimer = clock.setTimer(() => reject(onExpire()), delayMs);
    });
    // Nobody may be racing at the moment it fires; that is not an unhandled failure.
    this.expired.catch(() => undefined);
  }

  /** Resolves like `work`, or rejects when the limit passes first. */
  race<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined);
    return Promise.race([work, this.expired]);
  }

  cancel(): void {
    this.cancelTimer();
  }
}

/** Calls `onEnd` once when the stream finishes, fails or is abandoned (null error unless it failed). */
export function onStreamEnd(stream: ChatStream, onEnd: (error: unknown) => void): ChatStream {
  return { ...stream, chunks: hookStream(stream.chunks[Symbol.asyncIterator](), { onEnd }) };
}
