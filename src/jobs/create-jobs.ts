import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { EventSink, JobCapGate, JobKind, JobProvider } from '../core/index.js';
import type { Clock, Random } from '../lib/index.js';
import { randomToken, systemClock } from '../lib/index.js';
import type { PolicyGate } from '../policies/index.js';
import type { JobStore, WebhookMessage, WebhookOutboxStore } from '../storage/index.js';
import { WebhookDeliverer } from '../webhooks/index.js';
import type { WebhookAttemptReport, WebhookDigest } from '../webhooks/index.js';
import { JobAssets } from './job-assets.js';
import { JobPoller } from './job-poller.js';
import { JobRunner } from './job-runner.js';
import type { PollReport } from './job-runner.js';
import { JobService } from './job-service.js';
import { resolveJobWebhookSecret } from './job-webhooks.js';
import type { JobsSettings } from './jobs-settings.js';
import { jobsSettingsFromConfig } from './jobs-settings-from-config.js';
import type { JobsConfigBlock } from './jobs-settings-from-config.js';

export interface JobsLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface JobsDependencies {
  settings: JobsSettings;
  store: JobStore;
  outbox: WebhookOutboxStore;
  /** Builds the adapter for a configured provider and a kind (null when it cannot); called once per pair. */
  createProvider: (provider: string, kind: JobKind) => JobProvider | null;
  policies: PolicyGate;
  /** Provider caps (`providers[].limits`); absent: jobs are not capped. */
  caps?: JobCapGate | undefined;
  events: EventSink;
  logger: JobsLogger;
  registry?: Registry | undefined;
  clock?: Clock | undefined;
  random?: Random | undefined;
  /** This instance's id (lease owner); random by default. */
  owner?: string | undefined;
  /** Largest `input_reference` upload (default 10 MiB). */
  maxUploadBytes?: number | undefined;
  /**
   * Signing secrets of messages other subsystems (alerts) put in the same outbox: one deliverer
   * serves the whole outbox, and a message whose secret it cannot resolve would fail for good.
   */
  otherSecrets?: ((secretRef: string) => string | null) | undefined;
  /** Groups a delivery round's messages into POSTs (alert digests per channel); absent: one POST each. */
  digest?: ((messages: readonly WebhookMessage[]) => WebhookDigest[]) | undefined;
}

export interface Jobs {
  readonly service: JobService;
  readonly poller: JobPoller;
  readonly deliverer: WebhookDeliverer;
  /** What the HTTP routes need (structurally http's JobRoutesOptions). */
  readonly routes: { jobs: JobService; maxUploadBytes: number; defaultVideoModel: string | null; defaultImageModel: string | null };
  /** Starts the poller and the deliverer (once the jobs tables exist); a no-op after close. */
  start(): void;
  close(): Promise<void>;
}

/** A configured provider, as far as job adapters need it (structurally config's ProviderConfig). */
export interface JobProviderConfig {
  name: string;
  type: 'openai' | 'anthropic' | 'gemini' | 'mock';
  base_url?: string | undefined;
  api_key?: string | undefined;
  headers: Record<string, string>;
  timeout_ms: number;
  max_connections: number;
}

export interface GatewayJobsDependencies extends Omit<JobsDependencies, 'settings' | 'createProvider'> {
  config: JobsConfigBlock;
  providers: readonly JobProviderConfig[];
  allowDirectModels: boolean;
  /** Largest `input_reference` upload. */
  maxUploadBytes: number;
  /** The providers folder's adapter factory (main.ts passes it: only it picks implementations). */
  createJobProvider: (settings: {
    type: JobProviderConfig['type']; name: string; baseUrl: string | undefined; apiKey: string | undefined;
    headers: Record<string, string>; timeoutMs: number; maxConnections: number;
  }, kind: JobKind) => JobProvider | null;
}

/** createJobs from the config file's `jobs:` and `providers:` blocks. */
export function createGatewayJobs(dependencies: GatewayJobsDependencies): Jobs {
  const { config, providers, allowDirectModels, createJobProvider, maxUploadBytes, ...rest } = dependencies;
  const settings = jobsSettingsFromConfig(config, providers.map((provider) => provider.name), allowDirectModels);
  return createJobs({
    ...rest,
    settings,
    maxUploadBytes,
    createProvider: (name, kind) => {
      const provider = providers.find((candidate) => candidate.name === name);
      return provider === undefined ? null : createJobProvider({
        type: provider.type, name, baseUrl: provider.base_url, apiKey: provider.api_key, headers: provider.headers,
        timeoutMs: provider.timeout_ms, maxConnections: provider.max_connections,
      }, kind);
    },
  });
}

/** Wires the job service, the poller and the webhook deliverer of one instance. */
export function createJobs(dependencies: JobsDependencies): Jobs {
  const clock = dependencies.clock ?? systemClock;
  const random = dependencies.random ?? Math.random;
  const owner = dependencies.owner ?? `instance_${randomToken(9)}`;
  const { settings, logger } = dependencies;
  const adapters = new Map<string, JobProvider | null>();
  const providers = (provider: string, kind: JobKind): JobProvider | null => {
    const key = `${kind}:${provider}`;
    if (!adapters.has(key)) adapters.set(key, dependencies.createProvider(provider, kind));
    return adapters.get(key) ?? null;
  };
  const polls = dependencies.registry === undefined ? null : new Counter({
    name: 'sluice_job_polls_total', help: 'Looks at a job\'s provider (starts and polls), by outcome',
    labelNames: ['provider', 'outcome'], registers: [dependencies.registry],
  });
  const finishedJobs = dependencies.registry === undefined ? null : new Counter({
    name: 'sluice_jobs_finished_total', help: 'Jobs that ended, by kind, provider and outcome (completed, failed, provider_timeout)',
    labelNames: ['kind', 'provider', 'outcome'], registers: [dependencies.registry],
  });
  const jobDuration = dependencies.registry === undefined ? null : new Histogram({
    name: 'sluice_job_duration_seconds', help: 'From a job\'s creation to its end, by kind, provider and outcome',
    labelNames: ['kind', 'provider', 'outcome'], buckets: [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600], registers: [dependencies.registry],
  });
  const deliveries = dependencies.registry === undefined ? null : new Counter({
    name: 'sluice_webhook_deliveries_total', help: 'Webhook delivery attempts, by event and result',
    labelNames: ['event', 'result'], registers: [dependencies.registry],
  });
  const deliverer = new WebhookDeliverer({
    store: dependencies.outbox, clock, owner, digest: dependencies.digest, resolveSecret: (ref) => resolveJobWebhookSecret(settings, ref) ?? dependencies.otherSecrets?.(ref) ?? null,
    onAttempt: (report: WebhookAttemptReport) => {
      deliveries?.inc({ event: report.message.eventType, result: report.delivered ? 'delivered' : report.retryAt === null ? 'gave_up' : 'retry' });
      if (!report.delivered) {
        logger.warn({ webhookId: report.message.id, url: report.message.url, status: report.status, error: report.error, retryAt: report.retryAt },
          'webhook delivery failed');
      }
    },
    onError: (error) => logger.warn({ err: error }, 'webhook outbox check failed'),
  });
  const assetSettings = settings.assets;
  const assets = assetSettings === undefined || assetSettings.directory === null ? null : new JobAssets(assetSettings.directory, assetSettings.ttlMs, clock);
  const runner = new JobRunner({
    assets,
    onFinished: (job) => {
      // Providers are configured names, kinds two values: the label sets stay bounded.
      const outcome = job.status === 'completed' ? 'completed' : job.errorCode === 'provider_timeout' ? 'provider_timeout' : 'failed';
      finishedJobs?.inc({ kind: job.kind, provider: job.provider, outcome });
      jobDuration?.observe({ kind: job.kind, provider: job.provider, outcome }, Math.max(0, ((job.completedAt ?? job.updatedAt) - job.createdAt) / 1000));
    },
    onAssetError: (jobId, error) => logger.warn({ jobId, err: error }, 'keeping a finished video failed; it streams from the provider'),
    store: dependencies.store, providers, outbox: dependencies.outbox, onWebhooksEnqueued: () => deliverer.wake(),
    policies: dependencies.policies, caps: dependencies.caps, events: dependencies.events, clock, random, owner, settings,
    onPoll: (report: PollReport) => {
      polls?.inc({ provider: report.provider, outcome: report.outcome });
      // Every look at a provider is logged under the request id that created the job.
      logger.info({ requestId: report.requestId, jobId: report.jobId, provider: report.provider, outcome: report.outcome,
        durationMs: report.durationMs, ...(report.error === undefined ? {} : { err: report.error }) }, 'job poll');
    },
  });
  const poller = new JobPoller({
    store: dependencies.store, runner, clock, owner, leaseMs: settings.leaseMs, batchSize: settings.batchSize,
    concurrencyPerProvider: settings.concurrencyPerProvider, idlePollMs: settings.idlePollMs,
    onError: (error) => logger.warn({ err: error }, 'job poll failed'),
  });
  const service = new JobService({
    store: dependencies.store, runner, providers, policies: dependencies.policies, caps: dependencies.caps, clock, owner, settings, assets,
    onJobCreated: () => poller.wake(),
  });
  let closed = false;
  let cancelSweep: (() => void) | null = null;
  // Expired assets are never served (open() checks); the sweep frees their disk space.
  const sweepAssets = (): void => {
    cancelSweep = clock.setTimer(() => {
      void assets?.sweep().catch((error: unknown) => logger.warn({ err: error }, 'sweeping expired job assets failed')).finally(() => {
        if (!closed) sweepAssets();
      });
    }, Math.min(assetSettings?.ttlMs ?? 600_000, 600_000));
  };
  return {
    service,
    poller,
    deliverer,
    routes: {
      jobs: service,
      maxUploadBytes: dependencies.maxUploadBytes ?? 10 * 1024 * 1024,
      defaultVideoModel: settings.models.find((model) => model.kind === 'video')?.name ?? null,
      defaultImageModel: settings.models.find((model) => model.kind === 'image')?.name ?? null,
    },
    start() {
      if (closed) return;
      poller.start();
      deliverer.start();
      if (assets !== null) sweepAssets();
    },
    async close() {
      closed = true;
      cancelSweep?.();
      await poller.stop();
      await deliverer.stop();
      await Promise.all([...adapters.values()].map((adapter) => adapter?.close?.()));
    },
  };
}
