/** Time as the routing code sees it; tests pass a manual clock instead of sleeping. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `callback` after `delayMs`; the returned function cancels it. Timers never keep the process alive. */
  setTimer(callback: () => void, delayMs: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Waits `delayMs` on `clock`; rejects with the signal's reason if it aborts first. */
export function sleep(clock: Clock, delayMs: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(signal.reason);
    };
    const cancel = clock.setTimer(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A random number in [0, 1). */
export type Random = () => number;
