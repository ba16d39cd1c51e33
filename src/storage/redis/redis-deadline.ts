import { performance } from 'node:perf_hooks';

/** A Redis command that got no answer within its deadline (Redis may still run it). */
export class RedisTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
    this.name = 'RedisTimeoutError';
  }
}

/**
 * Runs a command with a deadline that tells a dead Redis from a busy host. A plain timer fires
 * late on a lagging event loop, and when it fires it runs before the poll phase has read a reply
 * that may already sit in the socket, so a blocked loop alone would look like a Redis outage.
 * Two guards: when the timer fires, the verdict waits one `setImmediate` (after the poll phase has
 * handled pending socket reads); and when the timer itself fired late (the loop was blocked for
 * more than half the deadline), the command gets one more full deadline, measured afresh.
 */
export function withDeadline<T>(command: () => Promise<T>, timeoutMs: number): Promise<T> {
  const sentAt = performance.now();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (delayMs: number, expectedAt: number, graceLeft: boolean): void => {
      timer = setTimeout(() => {
        const lateBy = performance.now() - expectedAt;
        setImmediate(() => {
          if (settled) return;
          if (graceLeft && lateBy > timeoutMs / 2) {
            arm(timeoutMs, performance.now() + timeoutMs, false);
            return;
          }
          settled = true;
          reject(new RedisTimeoutError(timeoutMs));
        });
      }, delayMs);
      timer.unref();
    };
    arm(timeoutMs, sentAt + timeoutMs, true);
    command().then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
