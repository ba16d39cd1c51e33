import type { CapGate, EventSink, Provider } from '../core/index.js';
import type { Clock, Random } from '../lib/index.js';
import { buildDirectRoute, buildRoutes } from './build-route.js';
import type { RouteDependencies, RouteSettings } from './build-route.js';
import { MemoryCircuitBreakerStore } from './circuit-breaker-store.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
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
  /** Providers with a cap on calls in flight (this process's), and how long a call may wait for a slot. */
  concurrency?: ReadonlyArray<{ provider: string; maxConcurrent: number; maxQueueWaitMs: number }> | undefined;
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
  const limiters = new Map((settings.concurrency ?? []).map((entry) => [entry.provider, new ConcurrencyLimiter({
    provider: entry.provider, limit: entry.maxConcurrent, maxWaitMs: entry.maxQueueWaitMs, clock: settings.clock,
  })]));
  const dependencies: RouteDependencies = {
    providers: settings.providers, breakers, events: settings.events, clock: settings.clock, random: settings.random, limiters, caps: settings.caps,
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
