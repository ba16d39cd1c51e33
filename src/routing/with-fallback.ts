import { GatewayError } from '../core/index.js';
import type { CallContext, ChatRequest, Provider } from '../core/index.js';

/**
 * Tries each route in order until one succeeds; a failure that is not retryable (a bad request,
 * say) ends the search at once. Streams fall back only before the stream has started.
 */
export function withFallback(name: string, routes: Provider[]): Provider {
  if (routes.length === 1 && routes[0] !== undefined) return routes[0];

  async function attempt<T>(call: (route: Provider) => Promise<T>): Promise<T> {
    let lastError: unknown = new GatewayError('provider_unavailable', `no target for ${name}`);
    for (const route of routes) {
      try {
        return await call(route);
      } catch (error) {
        lastError = error;
        if (!(error instanceof GatewayError) || !error.retryable) break;
      }
    }
    throw lastError;
  }

  return {
    name,
    chat: (request: ChatRequest, context: CallContext) => attempt((route) => route.chat(request, context)),
    streamChat: (request: ChatRequest, context: CallContext) => attempt((route) => route.streamChat(request, context)),
    embed: (request, context) => attempt((route) => route.embed(request, context)),
  };
}
