import { Gauge } from 'prom-client';
import type { GatewayEvent } from '../core/index.js';
import type { Clock, EventBus } from '../lib/index.js';
import type { AlertStateStore, LeaseStore, RequestLogStore, WebhookMessage, WebhookOutboxStore } from '../storage/index.js';
import type { WebhookDigest } from '../webhooks/index.js';
import { createAlerts } from './alerts/index.js';
import type { Alerts, AlertsConfig } from './alerts/index.js';
import { clusterWorkerMetricsSource, localMetricsSource } from './cluster-metrics.js';
import type { MetricsSource } from './cluster-metrics.js';
import type { Logger } from './create-logger.js';
import { createEventLog } from './event-log.js';
import { HealthScorer } from './health-score.js';
import type { GatewayMetrics } from './metrics.js';
import { RequestLogWriter } from './request-log-writer.js';
import { RequestMetrics } from './request-metrics.js';
import type { RequestTracer } from './request-tracer.js';
import { RetentionSweeper } from './retention-sweeper.js';

export interface ObservabilitySettings {
  requestLog: { enabled: boolean; flush_interval_ms: number; batch_size: number; max_queue_rows: number };
  retentionDays: number;
  /** With several instances, only the holder of this lease sweeps old rows. */
  retentionLease?: { held(): boolean } | undefined;
  store: RequestLogStore;
  /** Resolves when the request log's database answers; tells a bad row from a database that is down. */
  probeDatabase?: (() => Promise<void>) | undefined;
  /** Where rows spill while the database is slow or down. */
  spillDirectory: string;
  events: EventBus<GatewayEvent>;
  logger: Logger;
  metrics: GatewayMetrics;
  /** The config's `metrics:` block. */
  metricsConfig: { require_auth: boolean; labels: ReadonlyArray<'key' | 'tenant'>; max_series_per_metric: number };
  /** The config's `health:` block. */
  health: { window_ms: number; min_requests: number; latency_objective_ms: number };
  /** The config's `tracing:` block. */
  tracing: {
    enabled: boolean; endpoint: string; headers: Readonly<Record<string, string>>; sample_ratio: number;
    capture_content: boolean; max_content_chars: number; service_name: string; max_queue_spans: number;
    propagate_upstream?: boolean | undefined;
  };
  /** Public model names (their own series); anything else requested is `other`. */
  models: readonly string[];
  providers: ReadonlyArray<{ name: string; type: string; base_url?: string | undefined }>;
  /** A worker of `--workers N`: scrapes show the whole group, collected by the primary. */
  clusterWorker?: boolean | undefined;
  /** False when a dependency the gateway cannot serve without is down (the gateway score is then 0). */
  dependenciesUp: () => Promise<boolean>;
  /** The config's `alerts:` block, and the outbox its notifications go through. */
  alerts: AlertsConfig;
  outbox: WebhookOutboxStore;
  /** With several instances: only the holder of the `alert-evaluator` lease evaluates windowed alert rules. */
  leases?: LeaseStore | undefined;
  /** Windowed alerts' state, shared so the next leader carries on the same episodes. */
  alertStates?: AlertStateStore | undefined;
  clock: Clock;
}

export interface Observability {
  readonly health: HealthScorer;
  /** Null when no alert rule or channel is configured. */
  readonly alerts: Alerts | null;
  /** Signing secrets of the messages this folder puts in the webhook outbox. */
  webhookSecrets(secretRef: string): string | null;
  /** The `traceparent` to send upstream for a request (`tracing.propagate_upstream`); undefined when not propagated. */
  readonly upstreamTraceparent: ((incoming: string | null) => string | null) | undefined;
  /** Groups the outbox messages of one delivery round into POSTs: alert messages into one digest per channel. */
  webhookDigest(messages: readonly WebhookMessage[]): WebhookDigest[];
  /** What GET /metrics serves. */
  readonly metricsSource: MetricsSource;
  /** Writes every row queued so far (tests and shutdown). */
  flush(): Promise<void>;
  /** Writes what is left, exports the last spans and stops the background work. */
  close(): Promise<void>;
}

/** The GenAI conventions' `gen_ai.provider.name` for each provider type. */
const GEN_AI_PROVIDER: Record<string, string> = { openai: 'openai', anthropic: 'anthropic', gemini: 'gcp.gemini', mock: 'sluice.mock' };

/**
 * The subscribers that turn the gateway's events into the request log (and its retention),
 * metrics, the health score, event logs and, when enabled, traces.
 */
export async function createObservability(settings: ObservabilitySettings): Promise<Observability> {
  const { events, metrics } = settings;
  const writer = new RequestLogWriter({
    store: settings.store,
    spillDirectory: settings.spillDirectory,
    probe: settings.probeDatabase,
    flushIntervalMs: settings.requestLog.flush_interval_ms,
    batchSize: settings.requestLog.batch_size,
    maxQueueRows: settings.requestLog.max_queue_rows,
    logger: settings.logger,
    metrics,
  });
  if (settings.requestLog.enabled) {
    events.subscribe(writer.handle);
    writer.start();
  }
  const sweeper = settings.retentionDays > 0
    ? new RetentionSweeper({ store: settings.store, retentionDays: settings.retentionDays, logger: settings.logger, lease: settings.retentionLease })
    : null;
  sweeper?.start();

  const requestMetrics = new RequestMetrics({
    registry: metrics.registry,
    knownModels: new Set(settings.models),
    providers: new Set(settings.providers.map((provider) => provider.name)),
    perKey: settings.metricsConfig.labels.includes('key'),
    perTenant: settings.metricsConfig.labels.includes('tenant'),
    maxSeriesPerMetric: settings.metricsConfig.max_series_per_metric,
  });
  const health = new HealthScorer({
    windowMs: settings.health.window_ms,
    minRequests: settings.health.min_requests,
    latencyObjectiveMs: settings.health.latency_objective_ms,
    maxTargets: settings.metricsConfig.max_series_per_metric,
  });
  registerHealthGauge(metrics, health, settings.dependenciesUp, settings.metricsConfig.max_series_per_metric);
  const unsubscribe = [
    events.subscribe(requestMetrics.handle),
    events.subscribe(health.handle),
    events.subscribe(createEventLog(settings.logger)),
  ];
  const alerts = settings.alerts.rules.length === 0 && settings.alerts.channels.length === 0 ? null : createAlerts({
    config: settings.alerts,
    // The gateway's one outbox deliverer (started with the jobs) delivers alert messages too.
    deliver: false,
    outbox: settings.outbox,
    leases: settings.leases,
    states: settings.alertStates,
    clock: settings.clock,
    registry: metrics.registry,
    logger: settings.logger,
    healthScores: (scope) => (scope === 'gateway'
      ? [['gateway', health.gatewayScore(true)]]
      : [...health.providerScores()].map(([provider, entry]) => [provider, entry.score])),
  });
  if (alerts !== null) unsubscribe.push(events.subscribe(alerts.handle));
  const tracer = settings.tracing.enabled ? await startTracer(settings) : null;
  if (tracer !== null) unsubscribe.push(events.subscribe(tracer.handle));

  return {
    health,
    alerts,
    upstreamTraceparent: tracer !== null && settings.tracing.propagate_upstream === true ? tracer.upstreamTraceparent : undefined,
    webhookSecrets: (secretRef) => alerts?.resolveSecret(secretRef) ?? null,
    webhookDigest: (messages) => alerts?.digest(messages) ?? messages.map((message) => ({ members: [message], id: message.id, payload: message.payload })),
    metricsSource: settings.clusterWorker === true ? clusterWorkerMetricsSource(metrics.registry) : localMetricsSource(metrics.registry),
    flush: () => writer.flush(),
    async close() {
      await writer.close();
      await sweeper?.stop();
      for (const stop of unsubscribe) stop();
      await alerts?.close();
      await tracer?.close();
    },
  };
}

async function startTracer(settings: ObservabilitySettings): Promise<RequestTracer> {
  const tracing = settings.tracing;
  // Lazy: the OpenTelemetry SDK is loaded only by configurations that trace.
  const { createRequestTracer } = await import('./request-tracer.js');
  return createRequestTracer({
    endpoint: tracing.endpoint,
    headers: tracing.headers,
    sampleRatio: tracing.sample_ratio,
    serviceName: tracing.service_name,
    maxQueueSpans: tracing.max_queue_spans,
    captureContent: tracing.capture_content,
    maxContentChars: tracing.max_content_chars,
    registry: settings.metrics.registry,
    providerSystems: new Map(settings.providers.map((provider) => [provider.name, GEN_AI_PROVIDER[provider.type] ?? provider.type])),
    providerUrls: new Map(settings.providers.flatMap((provider) => (provider.base_url === undefined ? [] : [[provider.name, provider.base_url]]))),
  });
}

function registerHealthGauge(metrics: GatewayMetrics, health: HealthScorer, dependenciesUp: () => Promise<boolean>, cap: number): void {
  const gauge: Gauge = new Gauge({
    name: 'sluice_health_score',
    help: 'Health score 0-100 (healthy >= 90, degraded 70-89, unhealthy < 70); absent while unknown (too few calls)',
    labelNames: ['scope', 'provider', 'target_model'],
    registers: [metrics.registry],
    // Each worker scores its own share of the traffic; the group shows the worst.
    aggregator: 'min',
    async collect() {
      gauge.reset();
      const gatewayScore = health.gatewayScore(await dependenciesUp());
      if (gatewayScore !== null) gauge.labels('gateway', '', '').set(gatewayScore);
      for (const [provider, entry] of health.providerScores()) {
        if (entry.score !== null) gauge.labels('provider', provider, '').set(entry.score);
      }
      let count = 0;
      for (const target of health.targetScores()) {
        if (target.score === null || count++ >= cap) continue;
        gauge.labels('target', target.provider, target.model).set(target.score);
      }
    },
  });
}
