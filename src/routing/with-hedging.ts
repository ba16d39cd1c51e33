import { GatewayError } from '../core/index.js';
import type { Provider } from '../core/index.js';
import { systemClock } from '../lib/index.js';
import type { Clock } from '../lib/index.js';
import { CircuitOpenError } from './circuit-open-error.js';
import { childAbort, isRetryable, providerFrom } from './route-helpers.js';
import type { ChildAbort } from './route-helpers.js';
import { summariseFailures } from './summarise-failures.js';

export interface HedgingOptions {
  /** How long the running attempt may go without content before the next target starts too. */
  hedgeAfterMs: number;
  clock?: Clock | undefined;
}

/** The abort reason of a hedged attempt that another one beat; logged as the attempt's error. */
export function hedgeLost(): GatewayError {
  return new GatewayError('client_closed', 'cancelled: another hedged attempt answered first');
}

/**
 * Hedged requests: starts the first route; if it has produced no content (a stream's commit point,
 * or the whole answer) after `hedgeAfterMs`, starts the next one as well, and so on. The first to
 * produce content wins and the others are aborted; every attempt stays in the trail. A failure
 * starts the next route at once; a failure no other route can fix ends the call.
 */
export function withHedging(name: string, routes: Provider[], options: HedgingOptions): Provider {
  if (routes.length === 1 && routes[0] !== undefined) return routes[0];
  const clock = options.clock ?? systemClock;

  return providerFrom(name, (call, context) => new Promise((resolve, reject) => {
    const running = new Set<ChildAbort>();
    const errors: unknown[] = [];
    let next = 0;
    let settled = false;
    let cancelTimer: (() => void) | null = null;

    function settle(): void {
      settled = true;
      cancelTimer?.();
      for (const attempt of running) attempt.abort(hedgeLost());
      running.clear();
    }

    function launch(): void {
      cancelTimer?.();
      cancelTimer = null;
      const route = routes[next];
      if (settled || route === undefined) return;
      const index = next;
      next += 1;
      const attempt = childAbort(context.signal);
      running.add(attempt);
      if (next < routes.length) cancelTimer = clock.setTimer(launch, options.hedgeAfterMs);
      call(route, { ...context, signal: attempt.signal, attemptKind: index === 0 ? context.attemptKind : 'hedge' }).then(
        (result) => {
          running.delete(attempt);
          if (settled) return;
          settle();
          resolve(result);
        },
        (error: unknown) => {
          running.delete(attempt);
          attempt.detach();
          if (settled) return;
          errors.push(error);
          if ((!isRetryable(error) && !(error instanceof CircuitOpenError)) || context.signal.aborted) {
            settle();
            reject(error);
          } else if (next < routes.length) launch();
          else if (running.size === 0) {
            settle();
            reject(summariseFailures(name, errors, context.attempts));
          }
        },
      );
    }

    launch();
  }));
}
