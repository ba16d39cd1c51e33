import type { JobEventType, JobsSettings } from './jobs-settings.js';

/**
 * The `jobs:` block of the config file, as this folder reads it (structurally the same as the
 * config schema's output, so jobs/ need not import config/).
 */
export interface JobsConfigBlock {
  max_duration_ms: number;
  lease_ms: number;
  poll: { initial_ms: number; multiplier: number; max_ms: number; jitter: number };
  concurrency_per_provider: number;
  batch_size: number;
  idle_poll_ms: number;
  max_content_bytes: number;
  assets?: { directory: string; ttl_ms: number } | undefined;
  models: ReadonlyArray<{ name: string; kind: 'video' | 'image'; provider: string; model: string; price_per_second: number; price_per_image: number }>;
  webhooks: {
    targets: ReadonlyArray<{ name: string; url: string; secret: string; tenant?: string | undefined; key?: string | undefined; events: readonly JobEventType[] }>;
    allowed_url_prefixes: readonly string[];
    request_secret?: string | undefined;
  };
}

/** Turns the config block into the settings the job service, poller and webhooks use. */
export function jobsSettingsFromConfig(block: JobsConfigBlock, providerNames: readonly string[], allowDirectModels: boolean): JobsSettings {
  return {
    models: block.models.map((model) => ({
      name: model.name, kind: model.kind, provider: model.provider, model: model.model,
      pricePerSecond: model.price_per_second, pricePerImage: model.price_per_image,
    })),
    allowDirectModels,
    providerNames: new Set(providerNames),
    maxDurationMs: block.max_duration_ms,
    leaseMs: block.lease_ms,
    schedule: { initialMs: block.poll.initial_ms, multiplier: block.poll.multiplier, maxMs: block.poll.max_ms, jitter: block.poll.jitter },
    concurrencyPerProvider: block.concurrency_per_provider,
    batchSize: block.batch_size,
    idlePollMs: block.idle_poll_ms,
    maxContentBytes: block.max_content_bytes,
    assets: { directory: block.assets === undefined || block.assets.directory === '' ? null : block.assets.directory, ttlMs: block.assets?.ttl_ms ?? 86_400_000 },
    webhooks: {
      targets: block.webhooks.targets.map((target) => ({
        name: target.name, url: target.url, secret: target.secret, tenant: target.tenant ?? null, key: target.key ?? null, events: target.events,
      })),
      allowedUrlPrefixes: block.webhooks.allowed_url_prefixes,
      requestSecret: block.webhooks.request_secret ?? null,
    },
  };
}
