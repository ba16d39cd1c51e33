export { buildDirectRoute, buildRoute, buildRoutes, buildTargetsRoute } from './build-route.js';
export type { RouteDependencies, RouteSettings, RouteStrategy, RouteTargetSettings } from './build-route.js';
export { MemoryCircuitBreakerStore } from './circuit-breaker-store.js';
export type {
  CircuitAdmission, CircuitBreakerSettings, CircuitBreakerStore, CircuitKey, CircuitOutcome, CircuitSnapshot, CircuitTransition,
} from './circuit-breaker-store.js';
export { CapReachedError, CircuitOpenError } from './circuit-open-error.js';
export { summariseCircuits } from './summarise-circuits.js';
export type { ProviderCircuitReport } from './summarise-circuits.js';
export { ModelRegistry } from './model-registry.js';
export { createRouting } from './create-routing.js';
export type { Routing, RoutingSettings } from './create-routing.js';
export type { ModelInfo, ModelRegistrySettings } from './model-registry.js';
export { summariseFailures } from './summarise-failures.js';
export { withCaps } from './with-caps.js';
export { withCircuitBreaker } from './with-circuit-breaker.js';
export { withFallback } from './with-fallback.js';
export { withHedging } from './with-hedging.js';
export { withLoadBalancing } from './with-load-balancing.js';
export type { BalanceStrategy, LoadBalancingOptions, WeightedRoute } from './with-load-balancing.js';
export { withModelFallbacks } from './with-model-fallbacks.js';
export { retryDelay, withRetry } from './with-retry.js';
export type { RetrySettings } from './with-retry.js';
export { withStaticFallback } from './with-static-fallback.js';
export { withStreamCommit } from './with-stream-commit.js';
export { withTarget } from './with-target.js';
export type { Target } from './with-target.js';
export { withTimeout } from './with-timeout.js';
