import { ProviderError } from '../core/index.js';
import type { CallContext, Provider } from '../core/index.js';
import type { Call } from './route-helpers.js';
import { isRetryable } from './route-helpers.js';
import { summariseFailures } from './summarise-failures.js';

/** True when the upstream said the prompt does not fit the model's context window. */
export function isContextWindowError(error: unknown): boolean {
  return error instanceof ProviderError && error.reason === 'context_window_exceeded';
}

/**
 * Calls each route in turn until one answers. A failure no other target can fix (a bad request,
 * say) ends the search at once and is thrown as it is; so is a context-window refusal, which the
 * model-level fallback handles. When every route failed, throws one error listing every attempt.
 */
export async function tryInOrder<T>(name: string, routes: readonly Provider[], call: Call<T>, context: CallContext): Promise<T> {
  const errors: unknown[] = [];
  for (const [index, route] of routes.entries()) {
    try {
      return await call(route, index === 0 ? context : { ...context, attemptKind: 'fallback' });
    } catch (error) {
      if (!isRetryable(error) || context.signal.aborted) throw error;
      errors.push(error);
    }
  }
  throw summariseFailures(name, errors, context.attempts);
}
