import type { Provider } from '../core/index.js';
import { providerFrom } from './route-helpers.js';
import { tryInOrder } from './try-in-order.js';

/**
 * Tries each route in order until one succeeds. A failure that is not retryable (a bad request,
 * say) ends the search at once; streams fall back only before their commit point.
 */
export function withFallback(name: string, routes: Provider[]): Provider {
  if (routes.length === 1 && routes[0] !== undefined) return routes[0];
  return providerFrom(name, (call, context) => tryInOrder(name, routes, call, context));
}
