import { GatewayError } from '../core/index.js';
import type { Provider } from '../core/index.js';
import { sleep, systemClock } from '../lib/index.js';
import type { Clock, Random } from '../lib/index.js';
import { CircuitOpenError } from './circuit-open-error.js';
import { ProviderBusyError } from './provider-busy-error.js';
import { isRetryable, providerFrom } from './route-helpers.js';

export interface RetrySettings {
  /** Calls per target, the first included; 1 turns retries off. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
}

export interface RetryDependencies {
  clock?: Clock | undefined;
  random?: Random | undefined;
}

/**
 * The wait before retry number `retry` (1 for the first retry): exponential backoff with full
 * jitter, at least the upstream's retry-after. Null when the upstream asks for longer than
 * `maxDelayMs`: waiting that long is worse than moving on to another target.
 */
export function retryDelay(retry: number, settings: RetrySettings, random: Random, retryAfterMs: number | null): number | null {
  if (retryAfterMs !== null && retryAfterMs > settings.maxDelayMs) return null;
  const ceiling = Math.min(settings.maxDelayMs, settings.initialDelayMs * settings.multiplier ** (retry - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/**
 * Calls the same route again after a retryable failure (429, 5xx, timeouts, refused or reset
 * connections), up to `maxAttempts` calls. Streams are retried only before their commit point,
 * because a committed stream resolves `streamChat` and later failures surface in its chunks,
 * which this wrapper never touches. No retry starts if its wait would pass the request's deadline.
 */
export function withRetry(route: Provider, settings: RetrySettings, dependencies: RetryDependencies = {}): Provider {
  if (settings.maxAttempts <= 1) return route;
  const clock = dependencies.clock ?? systemClock;
  const random = dependencies.random ?? Math.random;

  return providerFrom(route.name, async (call, context) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await call(route, attempt === 1 ? context : { ...context, attemptKind: 'retry' });
      } catch (error) {
        if (attempt >= settings.maxAttempts || !isRetryable(error) || error instanceof CircuitOpenError || error instanceof ProviderBusyError ||
          context.signal.aborted) {
          throw error;
        }
        const hint = error instanceof GatewayError ? error.retryAfterMs : null;
        const delay = retryDelay(attempt, settings, random, hint);
        if (delay === null) throw error;
        if (context.deadline !== undefined && clock.now() + delay >= context.deadline) throw error;
        await sleep(clock, delay, context.signal);
      }
    }
  });
}
