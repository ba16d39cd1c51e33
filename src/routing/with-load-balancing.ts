import type { CallContext, ChatRequest, Provider } from '../core/index.js';

export interface WeightedRoute {
  route: Provider;
  weight: number;
}

/** Picks one route per call, at random in proportion to its weight. */
export function withLoadBalancing(name: string, routes: WeightedRoute[], random: () => number = Math.random): Provider {
  const total = routes.reduce((sum, entry) => sum + entry.weight, 0);

  function pick(): Provider {
    let point = random() * total;
    for (const entry of routes) {
      point -= entry.weight;
      if (point < 0) return entry.route;
    }
    const last = routes[routes.length - 1];
    if (last === undefined) throw new Error(`route ${name} has no targets`);
    return last.route;
  }

  return {
    name,
    chat: (request: ChatRequest, context: CallContext) => pick().chat(request, context),
    streamChat: (request: ChatRequest, context: CallContext) => pick().streamChat(request, context),
    embed: (request, context) => pick().embed(request, context),
  };
}
