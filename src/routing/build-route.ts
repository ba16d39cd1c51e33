import type { CapGate, EventSink, Provider } from '../core/index.js';
import { systemClock } from '../lib/index.js';
import type { Clock, Random } from '../lib/index.js';
import { MemoryCircuitBreakerStore } from './circuit-breaker-store.js';
import type { ConcurrencyLimiter } from './concurrency-limiter.js';
import type { CircuitBreakerStore } from './circuit-breaker-store.js';
import { withCaps } from './with-caps.js';
import { withCircuitBreaker } from './with-circuit-breaker.js';
import { withConcurrencyLimit } from './with-concurrency-limit.js';
import { withFallback } from './with-fallback.js';
import { withHedging } from './with-hedging.js';
import { withLoadBalancing } from './with-load-balancing.js';
import { withModelFallbacks } from './with-model-fallbacks.js';
import { withRetry } from './with-retry.js';
import { withStaticFallback } from './with-static-fallback.js';
import { withStreamCommit } from './with-stream-commit.js';
import { withTarget } from './with-target.js';
import { withTimeout } from './with-timeout.js';

export interface RouteTargetSettings {
  provider: string;
  model: string;
  weight: number;
}

export type RouteStrategy = 'single' | 'fallback' | 'loadbalance' | 'least_busy' | 'lowest_latency' | 'hedge';

/** One public model's routing settings: the `models[]` entry of the config, in its own spelling. */
export interface RouteSettings {
  name: string;
  strategy: RouteStrategy;
  targets: RouteTargetSettings[];
  retry?: { max_attempts: number; initial_delay_ms: number; max_delay_ms: number; multiplier: number } | undefined;
  /** The whole request. */
  timeout_ms?: number | undefined;
  first_token_timeout_ms?: number | undefined;
  idle_timeout_ms?: number | undefined;
  circuit_breaker?: {
    enabled?: boolean | undefined;
    failure_threshold: number;
    window_ms: number;
    cooldown_ms: number;
    half_open_successes: number;
  } | undefined;
  hedge_after_ms?: number | undefined;
  latency_tolerance?: number | undefined;
  fallback_models?: readonly string[] | undefined;
  context_window_fallbacks?: readonly string[] | undefined;
  fallback_response?: string | undefined;
  /** A directly addressed `provider/model`: only provider caps apply (there is no public model). */
  direct?: boolean | undefined;
}

export interface RouteDependencies {
  providers: ReadonlyMap<string, Provider>;
  random?: Random | undefined;
  clock?: Clock | undefined;
  /** Shared by every route so that one target has one breaker; a fresh memory store when absent. */
  breakers?: CircuitBreakerStore | undefined;
  /** Receives circuit state changes. */
  events?: EventSink | undefined;
  /** Per provider with `max_concurrent`: the slots every route to it shares. */
  limiters?: ReadonlyMap<string, ConcurrencyLimiter> | undefined;
  /** Another public model's targets-only route, for `fallback_models`; none when absent. */
  resolveFallback?: ((model: string) => Provider | null) | undefined;
  /** Provider, model and target caps; targets no cap covers stay unwrapped. */
  caps?: CapGate | undefined;
}

const DEFAULT_HEDGE_AFTER_MS = 2000;

/** Retries and breaker for `provider/model` addressed directly; the same as a configured model's defaults. */
const DIRECT_ROUTE_DEFAULTS: Pick<RouteSettings, 'retry' | 'circuit_breaker'> = {
  retry: { max_attempts: 3, initial_delay_ms: 200, max_delay_ms: 8000, multiplier: 2 },
  circuit_breaker: { failure_threshold: 5, window_ms: 60_000, cooldown_ms: 30_000, half_open_successes: 2 },
};

/**
 * The route for a directly addressed `provider/model`: one target with the default retries and
 * the shared circuit breaker (no deadline beyond the provider's own timeouts).
 */
export function buildDirectRoute(providerName: string, model: string, dependencies: RouteDependencies): Provider {
  return buildRoute({
    name: `${providerName}/${model}`,
    strategy: 'single',
    targets: [{ provider: providerName, model, weight: 1 }],
    ...DIRECT_ROUTE_DEFAULTS,
    direct: true,
  }, dependencies);
}

/**
 * The targets part of a model's route, without its model-level fallbacks, static answer or
 * timeout. Per target, inside out: the call and its attempt record, the stream commit point
 * (first-token and idle timeouts), the circuit breaker, the provider's concurrency slots (each
 * attempt takes one), the caps (so a capped target never takes a half-open probe or a slot, and
 * each retry reserves again), retries. Across targets: the strategy.
 */
export function buildTargetsRoute(settings: RouteSettings, dependencies: RouteDependencies): Provider {
  const clock = dependencies.clock ?? systemClock;
  const breakers = dependencies.breakers ?? new MemoryCircuitBreakerStore();
  const breaker = settings.circuit_breaker;
  const retry = settings.retry;
  const targets = settings.targets.map((target) => {
    const provider = dependencies.providers.get(target.provider);
    if (provider === undefined) throw new Error(`model ${settings.name}: unknown provider ${target.provider}`);
    let route = withTarget({ provider, model: target.model });
    route = withStreamCommit(route, {
      firstTokenTimeoutMs: settings.first_token_timeout_ms, idleTimeoutMs: settings.idle_timeout_ms, clock,
    });
    if (breaker !== undefined && breaker.enabled !== false) {
      route = withCircuitBreaker(route, { provider: target.provider, model: target.model }, {
        failureThreshold: breaker.failure_threshold,
        windowMs: breaker.window_ms,
        cooldownMs: breaker.cooldown_ms,
        halfOpenSuccesses: breaker.half_open_successes,
      }, { store: breakers, clock, events: dependencies.events });
    }
    const limiter = dependencies.limiters?.get(target.provider);
    if (limiter !== undefined) route = withConcurrencyLimit(route, limiter);
    const capTarget = { publicModel: settings.direct === true ? null : settings.name, provider: target.provider, model: target.model };
    if (dependencies.caps?.covers(capTarget) === true) route = withCaps(route, capTarget, dependencies.caps);
    if (retry !== undefined) {
      route = withRetry(route, {
        maxAttempts: retry.max_attempts, initialDelayMs: retry.initial_delay_ms, maxDelayMs: retry.max_delay_ms, multiplier: retry.multiplier,
      }, { clock, random: dependencies.random });
    }
    return { route, weight: target.weight };
  });
  const routes = targets.map((target) => target.route);
  const balance = { random: dependencies.random, clock, latencyTolerance: settings.latency_tolerance };
  switch (settings.strategy) {
    case 'single':
    case 'fallback':
      return withFallback(settings.name, routes);
    case 'loadbalance':
      return withLoadBalancing(settings.name, targets, { ...balance, strategy: 'weighted' });
    case 'least_busy':
      return withLoadBalancing(settings.name, targets, { ...balance, strategy: 'least_busy' });
    case 'lowest_latency':
      return withLoadBalancing(settings.name, targets, { ...balance, strategy: 'lowest_latency' });
    case 'hedge':
      return withHedging(settings.name, routes, { hedgeAfterMs: settings.hedge_after_ms ?? DEFAULT_HEDGE_AFTER_MS, clock });
  }
}

/** Turns one public model's settings into a single composed Provider. */
export function buildRoute(settings: RouteSettings, dependencies: RouteDependencies): Provider {
  const clock = dependencies.clock ?? systemClock;
  let route = withModelFallbacks(buildTargetsRoute(settings, dependencies), {
    name: settings.name,
    fallbackModels: settings.fallback_models ?? [],
    contextWindowFallbacks: settings.context_window_fallbacks ?? [],
    resolve: dependencies.resolveFallback ?? (() => null),
  });
  if (settings.timeout_ms !== undefined) route = withTimeout(route, settings.timeout_ms, clock);
  if (settings.fallback_response !== undefined) route = withStaticFallback(route, settings.fallback_response, clock);
  return { ...route, name: settings.name };
}

/**
 * Every public model's route. Model-level fallbacks use the other model's targets only, so
 * `a → b → a` cannot loop; one breaker store is shared so that each target has one breaker.
 */
export function buildRoutes(models: readonly RouteSettings[], dependencies: RouteDependencies): Map<string, Provider> {
  const shared: RouteDependencies = { ...dependencies, breakers: dependencies.breakers ?? new MemoryCircuitBreakerStore() };
  const primaries = new Map(models.map((model) => [model.name, buildTargetsRoute(model, shared)]));
  const resolveFallback = (model: string): Provider | null => primaries.get(model) ?? null;
  return new Map(models.map((model) => [model.name, buildRoute(model, { ...shared, resolveFallback })]));
}
