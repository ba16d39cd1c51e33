import { AllAttemptsFailedError } from '../core/index.js';
import type { Provider } from '../core/index.js';
import { isRetryable, providerFrom } from './route-helpers.js';
import { summariseFailures } from './summarise-failures.js';
import { isContextWindowError } from './try-in-order.js';

export interface ModelFallbackSettings {
  /** The public model's name, for errors. */
  name: string;
  /** Other public models to try, in order, after every target failed with a retryable error. */
  fallbackModels: readonly string[];
  /** Public models with larger context windows, tried when a target says the prompt does not fit. */
  contextWindowFallbacks: readonly string[];
  /** A public model's own targets (without its fallbacks, so chains cannot loop); null when unknown. */
  resolve: (model: string) => Provider | null;
}

/**
 * The last line of a public model's route: after its targets failed, tries `fallback_models`
 * (or `context_window_fallbacks` after a context-window refusal), then turns a retryable failure
 * into one error listing every attempt (429 if all were rate-limited, 504 if all timed out, 503
 * if every circuit was open, else 502). Failures the client must fix pass through unchanged.
 */
export function withModelFallbacks(primary: Provider, settings: ModelFallbackSettings): Provider {
  return providerFrom(settings.name, async (call, context) => {
    const errors: unknown[] = [];
    let last: unknown;
    try {
      return await call(primary, context);
    } catch (error) {
      last = error;
    }
    const contextWindow = isContextWindowError(last);
    if ((!contextWindow && !isRetryable(last)) || context.signal.aborted) throw last;
    errors.push(last);
    const chain = contextWindow ? settings.contextWindowFallbacks : settings.fallbackModels;
    for (const model of chain) {
      const route = settings.resolve(model);
      if (route === null) continue;
      try {
        return await call(route, { ...context, attemptKind: 'fallback' });
      } catch (error) {
        last = error;
        if (context.signal.aborted) throw error;
        if (!isRetryable(error) && !isContextWindowError(error)) throw error;
        errors.push(error);
      }
    }
    if (isContextWindowError(last) || !isRetryable(last)) throw last;
    // A single route's own summary already says it all (and a timeout's summary has no failures to re-read).
    if (errors.length === 1 && last instanceof AllAttemptsFailedError) throw last;
    throw summariseFailures(settings.name, errors, context.attempts);
  });
}
