import type { Clock } from '../lib/index.js';
import { ProviderBusyError } from './provider-busy-error.js';

interface Waiter {
  grant: () => void;
  cancel: () => void;
}

/**
 * At most `limit` calls in flight to one provider, every route and model sharing them. A call
 * beyond it waits in FIFO order, but never longer than `maxWaitMs`: then it fails with
 * ProviderBusyError (503 provider_overloaded), so a caller holding many long streams delays the
 * others by at most the queue wait instead of starving them.
 */
export class ConcurrencyLimiter {
  readonly provider: string;
  readonly limit: number;
  private readonly maxWaitMs: number;
  private readonly clock: Clock;
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(settings: { provider: string; limit: number; maxWaitMs: number; clock: Clock }) {
    this.provider = settings.provider;
    this.limit = settings.limit;
    this.maxWaitMs = settings.maxWaitMs;
    this.clock = settings.clock;
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with the slot's release (idempotent) once a slot is free; rejects after the wait or when `signal` aborts. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (this.active < this.limit && this.waiting.length === 0) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.maxWaitMs === 0) return Promise.reject(new ProviderBusyError(this.provider, 0));
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        cancelTimer();
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        leave();
        reject(signal.reason);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          resolve(this.releaser());
        },
        cancel: onAbort,
      };
      const cancelTimer = this.clock.setTimer(() => {
        leave();
        reject(new ProviderBusyError(this.provider, this.maxWaitMs));
      }, this.maxWaitMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting[0];
      // The slot passes straight to the next waiter, so no newcomer can jump the queue.
      if (next !== undefined) next.grant();
      else this.active -= 1;
    };
  }
}
