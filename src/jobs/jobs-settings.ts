import type { JobKind } from '../core/index.js';
import type { PollSchedule } from './poll-schedule.js';

/** A public model name clients send for images or videos. */
export interface JobModel {
  name: string;
  kind: JobKind;
  /** The configured provider's name (its credential stays with the provider). */
  provider: string;
  /** The provider's model id. */
  model: string;
  /** USD per second of video. */
  pricePerSecond: number;
  /** USD per image. */
  pricePerImage: number;
}

export type JobEventType = 'video.completed' | 'video.failed' | 'image.completed';

/** A configured webhook receiver: for every job, one tenant's, or one key's. */
export interface WebhookTarget {
  name: string;
  url: string;
  /** `whsec_…` */
  secret: string;
  tenant: string | null;
  key: string | null;
  events: readonly JobEventType[];
}

export interface JobsSettings {
  models: readonly JobModel[];
  /** `provider/model` names work without a models entry (priced at 0). */
  allowDirectModels: boolean;
  /** Configured provider names, for `provider/model`. */
  providerNames: ReadonlySet<string>;
  /** A job not finished after this long fails with `provider_timeout`. */
  maxDurationMs: number;
  /** How long a claimed job stays with one instance. */
  leaseMs: number;
  schedule: PollSchedule;
  /** Upstream calls in flight per provider, across the poller's batch. */
  concurrencyPerProvider: number;
  batchSize: number;
  /** The poller looks for due jobs at least this often. */
  idlePollMs: number;
  /** Largest content (video) streamed to a client. */
  maxContentBytes: number;
  /** Where finished videos are kept, and for how long; absent or a null directory: content streams through. */
  assets?: { directory: string | null; ttlMs: number } | undefined;
  webhooks: {
    targets: readonly WebhookTarget[];
    /** A per-request `x-sluice-webhook-url` must start with one of these. */
    allowedUrlPrefixes: readonly string[];
    /** Signs per-request webhooks; null = per-request webhooks are refused. */
    requestSecret: string | null;
  };
}

/** Finds the public model a request names for a kind of job, or null. */
export function resolveJobModel(settings: JobsSettings, name: string, kind: JobKind): JobModel | null {
  const configured = settings.models.find((model) => model.name === name && model.kind === kind);
  if (configured !== undefined) return configured;
  if (!settings.allowDirectModels) return null;
  const slash = name.indexOf('/');
  if (slash <= 0 || slash === name.length - 1) return null;
  const provider = name.slice(0, slash);
  if (!settings.providerNames.has(provider)) return null;
  return { name, kind, provider, model: name.slice(slash + 1), pricePerSecond: 0, pricePerImage: 0 };
}
