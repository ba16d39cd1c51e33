import type { Provider } from '../core/index.js';
import { withFallback } from './with-fallback.js';
import { withLoadBalancing } from './with-load-balancing.js';
import { withTarget } from './with-target.js';

export interface RouteTargetSettings {
  provider: string;
  model: string;
  weight: number;
}

export interface RouteSettings {
  name: string;
  strategy: 'single' | 'fallback' | 'loadbalance';
  targets: RouteTargetSettings[];
}

export interface RouteDependencies {
  providers: ReadonlyMap<string, Provider>;
  random?: () => number;
}

/** Turns one public model's settings into a single composed Provider. */
export function buildRoute(settings: RouteSettings, dependencies: RouteDependencies): Provider {
  const targets = settings.targets.map((target) => {
    const provider = dependencies.providers.get(target.provider);
    if (provider === undefined) throw new Error(`model ${settings.name}: unknown provider ${target.provider}`);
    return { route: withTarget({ provider, model: target.model }), weight: target.weight };
  });
  switch (settings.strategy) {
    case 'single':
    case 'fallback':
      return withFallback(settings.name, targets.map((target) => target.route));
    case 'loadbalance':
      return withLoadBalancing(settings.name, targets, dependencies.random);
  }
}
