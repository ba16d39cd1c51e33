import { AllAttemptsFailedError } from '../core/index.js';
import type { CallContext, ChatRequest, ChatStream, Provider } from '../core/index.js';
import { systemClock } from '../lib/index.js';
import type { Clock } from '../lib/index.js';
import { DeadlineSweeper } from './deadline-sweeper.js';
import { hookStream } from './hook-stream.js';
import { childAbort } from './route-helpers.js';
import type { ChildAbort } from './route-helpers.js';

/** One call under the deadline: its signal, its place in the sweeper and how it settles. */
interface Bounded {
  readonly attempt: ChildAbort;
  readonly inner: CallContext;
  /** Stops watching and stops following the parent; safe to call twice. */
  finish(): void;
}

/**
 * The whole request's deadline: every call below gets a signal that aborts after `timeoutMs`
 * (and a `deadline` retries respect). On expiry the caller gets a 504 listing the attempts made,
 * even if something below ignores its signal; a stream that outlives the deadline is ended.
 *
 * One mechanism per route: a single sweeper timer watches every pending call's deadline. On
 * expiry it aborts the call's signal and settles the caller's promise itself, so no per-request
 * timer, expiry promise or `Promise.race` is paid for on the (usual) path where the answer comes
 * in time.
 */
export function withTimeout(route: Provider, timeoutMs: number, clock: Clock = systemClock): Provider {
  const sweeper = new DeadlineSweeper(clock, timeoutMs);

  function timeoutError(context: CallContext): AllAttemptsFailedError {
    return new AllAttemptsFailedError('provider_timeout',
      `No answer for model "${route.name}" within the request's ${timeoutMs} ms timeout (${context.attempts.length} attempt(s)).`,
      context.attempts, []);
  }

  /** Watches one call; `onExpire` gets the 504 after the call's signal was aborted with it. */
  function watch(context: CallContext, onExpire: (error: AllAttemptsFailedError) => void): Bounded {
    const attempt = childAbort(context.signal);
    const deadline = Math.min(context.deadline ?? Number.POSITIVE_INFINITY, clock.now() + timeoutMs);
    const entry = sweeper.add(() => {
      const error = timeoutError(context);
      attempt.abort(error);
      attempt.detach();
      onExpire(error);
    });
    return {
      attempt,
      inner: { ...context, signal: attempt.signal, deadline },
      finish: () => {
        sweeper.remove(entry);
        attempt.detach();
      },
    };
  }

  /** Settles like the call, or with the 504 when the deadline passes first (whichever is first wins). */
  function bounded<T>(context: CallContext, call: (inner: CallContext) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const watched = watch(context, reject);
      let work: Promise<T>;
      try {
        work = call(watched.inner);
      } catch (error) {
        watched.finish();
        reject(error);
        return;
      }
      work.then(
        (value) => {
          watched.finish();
          resolve(value);
        },
        (error: unknown) => {
          watched.finish();
          reject(error);
        },
      );
    });
  }

  return {
    name: route.name,
    chat: (request: ChatRequest, context: CallContext) => bounded(context, (inner) => route.chat(request, inner)),
    embed: (request, context) => bounded(context, (inner) => route.embed(request, inner)),
    streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      // A stream stays under the deadline after it starts: each pull races this promise, which
      // the sweeper rejects (streams only; a plain answer needs no such promise).
      let failStream: (error: unknown) => void = () => undefined;
      const expired = new Promise<never>((_resolve, reject) => {
        failStream = reject;
      });
      // Nobody may be pulling at the moment it expires; that is not an unhandled failure.
      expired.catch(() => undefined);
      let rejectStart: (error: unknown) => void = () => undefined;
      const watched = watch(context, (error) => {
        failStream(error);
        rejectStart(error);
      });
      return new Promise<ChatStream>((resolve, reject) => {
        rejectStart = reject;
        let work: Promise<ChatStream>;
        try {
          work = route.streamChat(request, watched.inner);
        } catch (error) {
          watched.finish();
          reject(error);
          return;
        }
        work.then(
          (stream) => {
            resolve({
              ...stream,
              chunks: hookStream(stream.chunks[Symbol.asyncIterator](), { expired, onEnd: () => watched.finish() }),
            });
          },
          (error: unknown) => {
            watched.finish();
            reject(error);
          },
        );
      });
    },
  };
}
