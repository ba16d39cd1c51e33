import type { ConfigProblem } from './config-error.js';
import type { ConfigInput, GatewayConfig } from './config-schema.js';
import { configSchema } from './config-schema.js';
import { formatPath } from './config-error.js';
import { checkServiceDefinitions } from '../services/index.js';

export type ResolveResult = { ok: true; config: GatewayConfig } | { ok: false; problems: ConfigProblem[] };

/** Applies defaults, checks every field and cross-reference, and freezes the result. */
export function resolveConfig(input: unknown): ResolveResult {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
    };
  }
  const config = parsed.data;
  const problems = checkReferences(config);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, config: deepFreeze(config) };
}

function checkReferences(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const providerNames = new Set<string>();
  config.providers.forEach((provider, index) => {
    if (providerNames.has(provider.name)) {
      problems.push({ path: `providers[${index}].name`, message: `duplicate provider "${provider.name}"` });
    }
    providerNames.add(provider.name);
    if (provider.type !== 'anthropic') {
      for (const field of ['anthropic_version', 'default_max_tokens'] as const) {
        if (provider[field] !== undefined) {
          problems.push({ path: `providers[${index}].${field}`, message: 'only applies to providers of type anthropic' });
        }
      }
    }
    if (config.environment === 'production' && provider.type === 'mock') {
      problems.push({ path: `providers[${index}].type`, message: 'the mock provider is not allowed in production' });
    }
  });
  const modelNames = new Set<string>();
  config.models.forEach((model, index) => {
    if (modelNames.has(model.name)) {
      problems.push({ path: `models[${index}].name`, message: `duplicate model "${model.name}"` });
    }
    modelNames.add(model.name);
    model.targets.forEach((target, targetIndex) => {
      if (!providerNames.has(target.provider)) {
        problems.push({
          path: `models[${index}].targets[${targetIndex}].provider`,
          message: `unknown provider "${target.provider}"`,
        });
      }
    });
    if (model.strategy === 'single' && model.targets.length > 1) {
      problems.push({ path: `models[${index}].strategy`, message: 'strategy "single" takes exactly one target' });
    }
  });
  config.models.forEach((model, index) => {
    model.fallback_models.forEach((fallback, fallbackIndex) => {
      const path = `models[${index}].fallback_models[${fallbackIndex}]`;
      if (fallback === model.name) problems.push({ path, message: 'a model cannot fall back to itself' });
      else if (!modelNames.has(fallback)) problems.push({ path, message: `unknown model "${fallback}"` });
    });
    model.context_window_fallbacks.forEach((fallback, fallbackIndex) => {
      const path = `models[${index}].context_window_fallbacks[${fallbackIndex}]`;
      if (fallback === model.name) problems.push({ path, message: 'a model cannot fall back to itself' });
      else if (!modelNames.has(fallback)) problems.push({ path, message: `unknown model "${fallback}"` });
    });
  });
  for (const tierName of Object.keys(config.tiers)) {
    const tier = config.tiers[tierName];
    if (tier !== undefined && (tier.budget_usd === undefined) !== (tier.budget_period === undefined)) {
      problems.push({ path: formatPath(['tiers', tierName]), message: 'budget_usd and budget_period go together' });
    }
  }
  problems.push(...checkLimitReferences(config));
  config.jobs.models.forEach((model, index) => {
    if (!providerNames.has(model.provider)) problems.push({ path: `jobs.models[${index}].provider`, message: `unknown provider "${model.provider}"` });
  });
  problems.push(...checkObservability(config));
  problems.push(...checkServiceDefinitions(config.services, (model) => modelNames.has(model) ||
    (config.allow_direct_models && providerNames.has(model.split('/')[0] ?? ''))));
  problems.push(...checkCacheReferences(config));
  // Only development may run on a generated admin key; start and `config check` refuse the same configs.
  if (config.environment !== 'development' && config.auth.master_key === undefined) {
    problems.push({ path: 'auth.master_key', message: `required when environment is ${config.environment}` });
  }
  return problems;
}

function checkLimitReferences(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const tiers = new Set(Object.keys(config.tiers));
  const endUserTier = config.limits.end_user_tier;
  if (endUserTier !== undefined && !tiers.has(endUserTier)) {
    problems.push({ path: 'limits.end_user_tier', message: `unknown tier "${endUserTier}"` });
  }
  for (const [tenant, limits] of Object.entries(config.limits.tenants)) {
    if (limits.tier !== undefined && !tiers.has(limits.tier)) {
      problems.push({ path: formatPath(['limits', 'tenants', tenant, 'tier']), message: `unknown tier "${limits.tier}"` });
    }
  }
  if (config.limits.store === 'redis' && config.storage.redis_url === '') {
    problems.push({ path: 'limits.store', message: 'redis needs storage.redis_url' });
  }
  if (config.storage.circuit_breakers.store === 'redis' && config.storage.redis_url === '') {
    problems.push({ path: 'storage.circuit_breakers.store', message: 'redis needs storage.redis_url or storage.redis_cluster' });
  }
  const jwt = config.auth.jwt;
  if (jwt !== undefined && (jwt.secret === undefined) === (jwt.jwks_url === undefined)) {
    problems.push({ path: 'auth.jwt', message: 'give exactly one of secret or jwks_url' });
  }
  return problems;
}

function checkObservability(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.tracing.enabled && config.tracing.endpoint === '') {
    problems.push({ path: 'tracing.endpoint', message: 'required when tracing is enabled (an OTLP/HTTP traces URL)' });
  }
  const channels = new Set<string>();
  config.alerts.channels.forEach((channel, index) => {
    if (channels.has(channel.name)) problems.push({ path: `alerts.channels[${index}].name`, message: `duplicate channel "${channel.name}"` });
    channels.add(channel.name);
    if (channel.type === 'webhook' && channel.secret === undefined) {
      problems.push({ path: `alerts.channels[${index}].secret`, message: 'a webhook channel needs a whsec_ signing secret' });
    }
  });
  config.alerts.rules.forEach((rule, index) => {
    if (['error_rate', 'p95_latency', 'health_score'].includes(rule.type) && rule.threshold === undefined) {
      problems.push({ path: `alerts.rules[${index}].threshold`, message: `required for a ${rule.type} rule` });
    }
    rule.channels.forEach((channel, channelIndex) => {
      if (!channels.has(channel)) problems.push({ path: `alerts.rules[${index}].channels[${channelIndex}]`, message: `unknown channel "${channel}"` });
    });
  });
  return problems;
}

function checkCacheReferences(config: GatewayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const cache = config.cache;
  if (cache.store === 'redis' && config.storage.redis_url === '') {
    problems.push({ path: 'cache.store', message: 'redis needs storage.redis_url' });
  }
  const semanticModels = config.models.filter((model) => model.cache.semantic ?? cache.semantic.enabled);
  const embeddingModel = cache.semantic.embedding_model;
  if (semanticModels.length > 0 && embeddingModel === '') {
    problems.push({ path: 'cache.semantic.embedding_model', message: 'the semantic cache needs an embedding model' });
  } else if (embeddingModel !== '' && !config.models.some((model) => model.name === embeddingModel)) {
    const provider = embeddingModel.split('/')[0] ?? '';
    if (!embeddingModel.includes('/') || !config.providers.some((item) => item.name === provider)) {
      problems.push({ path: 'cache.semantic.embedding_model', message: `unknown model "${embeddingModel}"` });
    }
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

export type { ConfigInput };
