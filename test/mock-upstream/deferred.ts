/** A promise that is settled from outside; settling twice is a no-op. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  resolve(value: T): void;
}

export function createDeferred<T>(): Deferred<T> {
  let settled = false;
  let resolvePromise: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => {
    resolvePromise = resolve;
  });
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve(value: T) {
      if (settled) return;
      settled = true;
      resolvePromise(value);
    },
  };
}

/**
 * Waits for `promise`, rejecting after `timeoutMs` or as soon as `cancelSignal` aborts.
 * The timer is always cleared, so waiting never keeps the process alive.
 */
export function waitWithTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  description: string,
  cancelSignal: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (cancelSignal.aborted) {
      reject(new Error(`mock upstream was reset or closed while waiting for ${description}`));
      return;
    }
    const onCancel = (): void => {
      clearTimeout(timer);
      reject(new Error(`mock upstream was reset or closed while waiting for ${description}`));
    };
    const timer = setTimeout(() => {
      cancelSignal.removeEventListener('abort', onCancel);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
    }, timeoutMs);
    cancelSignal.addEventListener('abort', onCancel, { once: true });
    promise.then((value) => {
      clearTimeout(timer);
      cancelSignal.removeEventListener('abort', onCancel);
      resolve(value);
    }, reject);
  });
}
