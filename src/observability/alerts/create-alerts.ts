import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { GatewayEvent } from '../../core/index.js';
import type { Clock } from '../../lib/index.js';
import { MemoryAlertStateStore, SingletonLease } from '../../storage/index.js';
import type { AlertStateStore, LeaseStore, WebhookMessage, WebhookOutboxStore } from '../../storage/index.js';
import { WebhookDeliverer } from '../../webhooks/index.js';
import type { WebhookDigest } from '../../webhooks/index.js';
import { AlertEngine } from './alert-engine.js';
import type { AlertInstance } from './alert-engine.js';
import { alertDigest, alertSecretResolver, enqueueNotifications, testOutboxMessages } from './alert-outbox.js';
import type { AlertChannel, AlertNotification, AlertRule } from './alert-rule.js';

/** The config's `alerts:` block. */
export interface AlertsConfig {
  channels: readonly AlertChannel[];
  rules: readonly AlertRule[];
  repeat_interval_ms: number;
  send_resolved: boolean;
  evaluate_interval_ms: number;
}

export interface AlertsOptions {
  config: AlertsConfig;
  outbox: WebhookOutboxStore;
  clock: Clock;
  registry: Registry;
  healthScores: (scope: 'gateway' | 'provider') => Array<[string, number | null]>;
  logger: { warn(object: object, message: string): void };
  /** Run a deliverer here (default true); false when another deliverer serves the outbox (the gateway's jobs). */
  deliver?: boolean | undefined;
  /**
   * Shared by the fleet: windowed rules are evaluated only by the instance holding the
   * `alert-evaluator` lease. Absent: this instance always evaluates (a single process).
   */
  leases?: LeaseStore | undefined;
  /** Where windowed alerts' state lives, so the next leader carries on (default: this process's memory). */
  states?: AlertStateStore | undefined;
  /** This instance's lease owner id (tests); unique per process by default. */
  owner?: string | undefined;
}

export interface Alerts {
  handle(event: GatewayEvent): void;
  /** Checks the windowed rules now (also done every evaluate_interval_ms). */
  evaluate(): Promise<void>;
  /** For GET /admin/api/alerts: rules, current state, recent notifications. */
  snapshot(): { rules: readonly AlertRule[]; channels: Array<{ name: string; type: string }>; active: AlertInstance[]; history: AlertNotification[] };
  /** The signing secret of an alert message (`alerts:<channel>`), for the deliverer that serves the outbox. */
  resolveSecret(secretRef: string): string | null;
  /** Groups a delivery round's alert messages into one digest per channel, for the deliverer that serves the outbox. */
  digest(messages: readonly WebhookMessage[]): WebhookDigest[];
  /** Whether this instance evaluates the windowed rules now (it holds the lease). */
  leading(): boolean;
  /** Queues a test message to every channel; resolves with the number queued. */
  sendTest(): Promise<number>;
  /** Waits until every queued notification is in the outbox and a delivery round ran (tests). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** Alert rules and channels: the engine, its outbox writes, delivery with retry, and the evaluation timer. */
export function createAlerts(options: AlertsOptions): Alerts {
  const { config, outbox, clock } = options;
  const alertsTotal = new Counter({
    name: 'sluice_alerts_total', help: 'Alert notifications by rule and state (firing, resolved)', labelNames: ['rule', 'state'], registers: [options.registry],
  });
  const deliveries = new Counter({
    name: 'sluice_alert_deliveries_total', help: 'Alert and webhook delivery attempts by outcome', labelNames: ['event_type', 'outcome'], registers: [options.registry],
  });
  let pending: Promise<unknown> = Promise.resolve();
  const batch: AlertNotification[] = [];
  const resolveSecret = alertSecretResolver(config.channels);
  const digest = alertDigest(config.channels);
  const states = options.states ?? new MemoryAlertStateStore();
  const deliverer = new WebhookDeliverer({
    store: outbox,
    resolveSecret,
    digest,
    clock,
    owner: `alerts-${randomUUID()}`,
    onAttempt: (report) => deliveries.labels(report.message.eventType, report.delivered ? 'delivered' : report.retryAt === null ? 'failed' : 'retrying').inc(),
    onError: (error) => options.logger.warn({ err: error }, 'alert delivery round failed'),
  });
  const engine = new AlertEngine({
    rules: config.rules,
    repeatIntervalMs: config.repeat_interval_ms,
    sendResolved: config.send_resolved,
    clock,
    healthScores: options.healthScores,
    notify(notification) {
      alertsTotal.labels(notification.rule, notification.state).inc();
      // The engine runs on the event path: the database write is chained, never awaited there.
      // Notifications made in the same turn (one evaluation) are written together, as one digest.
      batch.push(notification);
      if (batch.length > 1) return;
      pending = pending.then(() => {
        const notifications = batch.splice(0);
        return enqueueNotifications(outbox, notifications, config.channels, clock.now())
          .then((stored) => {
            if (stored > 0) deliverer.wake();
          })
          .catch((error: unknown) => options.logger.warn({ err: error, rules: notifications.map((item) => item.rule) }, 'queueing alerts failed'));
      });
    },
    onState(rule, scopeKey, row) {
      // After the notification it follows (same chain): see AlertEngine's transition.
      pending = pending.then(() => (row === null ? states.remove(rule, scopeKey) : states.put(row)))
        .catch((error: unknown) => options.logger.warn({ err: error, rule }, 'saving an alert state failed'));
    },
  });
  // A lease longer than two evaluation intervals: the leader renews it at every evaluation.
  const lease = options.leases === undefined ? null : new SingletonLease({
    store: options.leases, name: 'alert-evaluator', owner: options.owner, clock, ttlMs: Math.max(3 * config.evaluate_interval_ms, 10_000),
    onError: (error) => options.logger.warn({ err: error }, 'renewing the alert-evaluator lease failed'),
  });
  let restored = lease === null;
  /** The leader's evaluation: a new leader first takes over the stored state of windowed alerts. */
  const evaluateIfLeading = async (): Promise<void> => {
    if (lease !== null && !(await lease.tick())) {
      restored = false;
      return;
    }
    if (!restored) {
      await pending;
      engine.restore(await states.list());
      restored = true;
    }
    engine.evaluate();
    await pending;
  };
  const windowed = config.rules.some((rule) => rule.type === 'error_rate' || rule.type === 'p95_latency' || rule.type === 'health_score');
  let cancelTimer: (() => void) | null = null;
  const scheduleEvaluation = (): void => {
    cancelTimer = clock.setTimer(() => {
      void evaluateIfLeading()
        .catch((error: unknown) => options.logger.warn({ err: error }, 'evaluating alerts failed'))
        .finally(() => {
          if (cancelTimer !== null) scheduleEvaluation();
        });
    }, config.evaluate_interval_ms);
  };
  if (windowed) scheduleEvaluation();
  if (options.deliver !== false && config.channels.length > 0) deliverer.start();

  return {
    handle: engine.handle,
    resolveSecret,
    digest,
    leading: () => lease === null || lease.held(),
    evaluate: evaluateIfLeading,
    snapshot: () => ({
      rules: config.rules,
      channels: config.channels.map((channel) => ({ name: channel.name, type: channel.type })),
      ...engine.snapshot(),
    }),
    async sendTest() {
      const messages = testOutboxMessages(config.channels, clock.now());
      for (const message of messages) await outbox.enqueue(message);
      deliverer.wake();
      return messages.length;
    },
    async settle() {
      await pending;
      // A background round may hold a claimed message: let it finish, then deliver what is due.
      await deliverer.whenIdle();
      await deliverer.runOnce();
      await deliverer.whenIdle();
    },
    async close() {
      cancelTimer?.();
      cancelTimer = null;
      await pending;
      await lease?.stop();
      await deliverer.stop();
    },
  };
}
