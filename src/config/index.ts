export type { ConfigProblem } from './config-error.js';
export { ConfigError, formatProblem } from './config-error.js';
export type { ConfigInput, GatewayConfig, ModelConfig, ProviderConfig, ServerConfig, TargetConfig, TierConfig, LimitsConfig, JwtConfig, ServiceConfig, CacheConfig } from './config-schema.js';
export { PROVIDER_TYPES } from './config-schema.js';
export type { CheckResult, LoadConfigOptions, LoadedConfig } from './load-config.js';
export { checkConfig, createEmbeddedDefault, loadConfig } from './load-config.js';
export { resolveConfig } from './resolve-config.js';
