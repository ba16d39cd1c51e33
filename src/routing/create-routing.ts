import type { CapGate, EventSink, Provider } from '../core/index.js';
import type { Clock, Random } from '../lib/index.js';
import { buildDirectRoute, buildRoutes } from './build-route.js';
import type { RouteDependencies, RouteSettings } from './build-route.js';
import { MemoryCircuitBreakerStore } from './circuit-breaker-store.js';
import type { CircuitBreakerStore } from './circuit-breaker-store.js';
import { ModelRegistry } from './model-registry.js';

export interface RoutingSettings {
  models: readonly RouteSettings[];
  providers: ReadonlyMap<string, Provider>;
  /** Upstream models each provider advertises as `provider/model` in the models list. */
  advertised: ReadonlyMap<string, readonly string[]>;
  allowDirectModels: boolean;
  events: EventSink;
  clock: Clock;
  random: Random;
  /** Where breaker state lives; this process's memory unless given (Redis shares it between instances). */
  breakers?: CircuitBreakerStore | undefined;
  /** Provider, model and target caps (`limits`); none when absent. */
  caps?: CapGate | undefined;
}

export interface Routing {
  models: ModelRegistry;
  /** One breaker per target, shared by every route that reaches it. */
  breakers: CircuitBreakerStore;
}

/** Every public model's composed route, and direct `provider/model` routes on demand. */
export function createRouting(settings: RoutingSettings): Routing {
  const breakers = settings.breakers ?? new MemoryCircuitBreakerStore();
  const dependencies: RouteDependencies = {
    providers: settings.providers, breakers, events: settings.events, clock: settings.clock, random: settings.random, caps: settings.caps,
  };
  const models = new ModelRegistry({
    routes: buildRoutes(settings.models, dependencies),
    providers: settings.providers,
    advertised: settings.advertised,
    allowDirectModels: settings.allowDirectModels,
    targets: new Map(settings.models.map((model) => [model.name, model.targets])),
    directRoute: (provider, model) => buildDirectRoute(provider, model, dependencies),
  });
  return { models, breakers };
}
