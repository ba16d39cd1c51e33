import type { StreamChunk } from '../core/index.js';
import type { Clock } from '../lib/index.js';

export interface StreamHooks {
  /** Frames already pulled from the source, handed out before it is pulled again. */
  held?: StreamChunk[] | undefined;
  /** Raced against every pull: when it rejects, the stream fails with its reason. */
  expired?: Promise<never> | null | undefined;
  /** Around each pull from the source (not while the consumer holds a chunk). */
  beforePull?: (() => void) | undefined;
  afterPull?: (() => void) | undefined;
  /** Once, when the stream completes (null), fails (the error) or is abandoned by the consumer (null). */
  onEnd?: ((error: unknown) => void) | undefined;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * Forwards a stream with hooks, as a plain iterator rather than an async generator: routes stack
 * several of these per chunk, and a generator layer costs several extra promise turns each.
 */
export function hookStream(source: AsyncIterator<StreamChunk>, hooks: StreamHooks): AsyncIterableIterator<StreamChunk> {
  const held = hooks.held ?? [];
  let ended = false;

  function end(error: unknown): void {
    if (ended) return;
    ended = true;
    hooks.onEnd?.(error);
  }

  function releaseSource(): void {
    void Promise.resolve(source.return?.()).catch(() => undefined);
  }

  const iterator: AsyncIterableIterator<StreamChunk> = {
    next(): Promise<IteratorResult<StreamChunk>> {
      if (ended) return Promise.resolve(DONE);
      const first = held.shift();
      if (first !== undefined) return Promise.resolve({ done: false, value: first });
      hooks.beforePull?.();
      const pulled = source.next();
      const raced = hooks.expired === undefined || hooks.expired === null ? pulled : Promise.race([pulled, hooks.expired]);
      return raced.then(
        (result) => {
          hooks.afterPull?.();
          if (result.done === true) end(null);
          return result;
        },
        (error: unknown) => {
          hooks.afterPull?.();
          end(error);
          // The source may still be mid-pull (the race was lost to `expired`); let it wind down.
          pulled.catch(() => undefined);
          releaseSource();
          throw error;
        },
      );
    },
    return(): Promise<IteratorResult<StreamChunk>> {
      if (!ended) {
        end(null);
        releaseSource();
      }
      return Promise.resolve(DONE);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * Watches the time spent waiting on the source with one lazily re-armed timer (not one timer per
 * chunk); `expired` rejects once a single wait has lasted `idleMs`.
 */
export class IdleWatch {
  readonly expired: Promise<never>;
  private waitingSince: number | null = null;
  private cancelTimer: () => void = () => undefined;
  private fail: (error: unknown) => void = () => undefined;
  private stopped = false;

  private readonly clock: Clock;
  private readonly idleMs: number;
  private readonly onExpire: () => unknown;

  constructor(clock: Clock, idleMs: number, onExpire: () => unknown) {
    this.clock = clock;
    this.idleMs = idleMs;
    this.onExpire = onExpire;
    this.expired = new Promise<never>((_resolve, reject) => {
      this.fail = reject;
    });
    this.expired.catch(() => undefined);
    this.arm(idleMs);
  }

  start(): void {
    this.waitingSince = this.clock.now();
  }

  stop(): void {
    this.waitingSince = null;
  }

  cancel(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    this.cancelTimer = this.clock.setTimer(() => this.check(), delayMs);
  }

  private check(): void {
    if (this.stopped) return;
    if (this.waitingSince === null) {
      this.arm(this.idleMs);
      return;
    }
    const waited = this.clock.now() - this.waitingSince;
    if (waited >= this.idleMs) {
      this.stopped = true;
      this.fail(this.onExpire());
    } else this.arm(this.idleMs - waited);
  }
}
