export { buildRoute } from './build-route.js';
export type { RouteDependencies, RouteSettings, RouteTargetSettings } from './build-route.js';
export { ModelRegistry } from './model-registry.js';
export type { ModelInfo, ModelRegistrySettings } from './model-registry.js';
export { withFallback } from './with-fallback.js';
export { withLoadBalancing } from './with-load-balancing.js';
export type { WeightedRoute } from './with-load-balancing.js';
export { withTarget } from './with-target.js';
export type { Target } from './with-target.js';
