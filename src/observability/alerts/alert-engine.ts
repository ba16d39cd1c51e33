import type { GatewayEvent, RequestSummary } from '../../core/index.js';
import type { Clock } from '../../lib/index.js';
import type { AlertStateRow } from '../../storage/index.js';
import type { AlertNotification, AlertRule, AlertState } from './alert-rule.js';
import { SlidingWindow } from './sliding-window.js';

export interface AlertEngineOptions {
  rules: readonly AlertRule[];
  /** A firing alert is notified again after this long. */
  repeatIntervalMs: number;
  sendResolved: boolean;
  clock: Pick<Clock, 'now'>;
  /** health_score rules: `[gateway, score]`, or `[provider, score]` per provider; null while unknown. */
  healthScores?: ((scope: 'gateway' | 'provider') => Array<[string, number | null]>) | undefined;
  /** Called for each notification; must only queue (the outbox). */
  notify: (notification: AlertNotification) => void;
  /**
   * Called after every transition of a windowed alert (its row, or null once it is gone), after
   * the notification it caused; must only queue (the shared alert-state store).
   */
  onState?: ((rule: string, scopeKey: string, row: AlertStateRow | null) => void) | undefined;
}

export interface AlertInstance {
  rule: string;
  scopeKey: string;
  state: AlertState;
  value: number | null;
  /** Epoch ms when the current state began. */
  since: number;
  /** Epoch ms of the last notification of this episode, if any. */
  notifiedAt: number | null;
}

interface Instance extends AlertInstance {
  /** When the condition started to hold: every message of the episode is keyed by it. */
  episodeStart: number;
  firingSince: number | null;
  repeats: number;
}

const WINDOWED: ReadonlySet<AlertRule['type']> = new Set(['error_rate', 'p95_latency', 'health_score']);

const HISTORY_LIMIT = 200;

/**
 * Alerts as a state machine per rule and scope: a breached condition is `pending` until it held
 * for `for_ms`, then `firing` (notified once, again every `repeatIntervalMs`), then `resolved`
 * (notified when `sendResolved`) once it no longer holds. Windowed rules (error rate, p95, health)
 * are checked by `evaluate()`; circuit and budget rules fire from events. Each notification carries
 * a dedupe key made of its rule, scope, the episode's start and its kind, so the outbox stores it
 * once however many instances or restarts enqueue it. Windowed alerts report every transition
 * (`onState`) so that the next leader can `restore()` them and carry on the same episodes.
 */
export class AlertEngine {
  private readonly options: AlertEngineOptions;
  private readonly windows = new Map<string, SlidingWindow>();
  private readonly instances = new Map<string, Instance>();
  private readonly history: AlertNotification[] = [];

  constructor(options: AlertEngineOptions) {
    this.options = options;
  }

  readonly handle = (event: GatewayEvent): void => {
    const now = this.options.clock.now();
    if (event.type === 'request-end') {
      this.observe(event.summary, now);
    } else if (event.type === 'circuit-state') {
      const { provider, model, to } = event.change;
      for (const rule of this.rulesOf('circuit_open')) {
        // Half-open is still an incident: the alert resolves when the circuit closes.
        this.transition(rule, `${provider}/${model}`, to !== 'closed', to === 'open' ? 2 : to === 'half_open' ? 1 : 0, now);
      }
    } else if (event.type === 'cap-warning') {
      // A budget rule scoped to providers or models watches the supply-side caps; target caps belong to their model.
      const ruleScope = event.scope === 'provider' ? 'provider' : 'model';
      for (const rule of this.rulesOf('budget')) {
        if (rule.scope !== ruleScope || !rule.thresholds.includes(event.threshold)) continue;
        const amount = (value: number) => (event.cap.startsWith('usd') ? `$${value.toFixed(2)}` : event.cap === 'rpm' ? `${Math.round(value)} requests` : `${Math.round(value)} tokens`);
        this.emit(rule, `${event.scope}:${event.subject}`, 'firing', event.used / event.limit, event.threshold, now, now,
          `cap:${rule.name}:${event.scope}:${event.subject}:${event.cap}:${event.period}:${event.threshold}`,
          `${event.scope} ${event.subject} used ${amount(event.used)} of its ${event.cap} cap of ${amount(event.limit)} (${Math.round(event.threshold * 100)} %, period ${event.period})`);
      }
    } else if (event.type === 'budget-warning') {
      for (const rule of this.rulesOf('budget')) {
        if (!rule.thresholds.includes(event.threshold)) continue;
        // Once per subject, period and threshold: the key is the same on every instance.
        this.emit(rule, `${event.subject}`, 'firing', event.spentUsd / event.budgetUsd, event.threshold, now, now,
          `budget:${event.subject}:${event.period}:${event.threshold}`,
          `${event.scope} ${event.subject} spent $${event.spentUsd.toFixed(2)} of $${event.budgetUsd.toFixed(2)} (${Math.round(event.threshold * 100)} %, period ${event.period})`);
      }
    }
  };

  /** Checks every windowed rule now. */
  evaluate(): void {
    const now = this.options.clock.now();
    for (const rule of this.options.rules) {
      if (rule.type === 'error_rate' || rule.type === 'p95_latency') {
        const prefix = `${rule.name}\u0000`;
        for (const [key, window] of this.windows) {
          if (!key.startsWith(prefix)) continue;
          const scopeKey = key.slice(prefix.length);
          const totals = window.totals(now);
          const value = rule.type === 'error_rate'
            ? (totals.requests === 0 ? null : totals.errors / totals.requests)
            : totals.p95Ms;
          const breached = totals.requests >= rule.min_requests && value !== null && value > (rule.threshold ?? Infinity);
          this.transition(rule, scopeKey, breached, value, now);
        }
      } else if (rule.type === 'health_score' && this.options.healthScores !== undefined) {
        for (const [scopeKey, score] of this.options.healthScores(rule.scope === 'provider' ? 'provider' : 'gateway')) {
          this.transition(rule, scopeKey, score !== null && score < (rule.threshold ?? 0), score, now);
        }
      }
    }
  }

  /**
   * Replaces the windowed alerts with stored ones (this instance just became the leader). Their
   * next notification uses the stored episode, so nothing already sent is sent again.
   */
  restore(rows: readonly AlertStateRow[]): void {
    for (const [key, instance] of this.instances) {
      if (this.isWindowed(instance.rule)) this.instances.delete(key);
    }
    for (const row of rows) {
      if (!this.isWindowed(row.rule)) continue;
      this.instances.set(`${row.rule}\u0000${row.scopeKey}`, {
        rule: row.rule, scopeKey: row.scopeKey, state: row.state, value: row.value, since: row.since, notifiedAt: row.notifiedAt,
        episodeStart: row.episodeStart, firingSince: row.firingSince, repeats: row.repeats,
      });
    }
  }

  /** Current non-resolved instances and the latest notifications, newest first. */
  snapshot(): { active: AlertInstance[]; history: AlertNotification[] } {
    const active = [...this.instances.values()].map(({ rule, scopeKey, state, value, since, notifiedAt }) => ({ rule, scopeKey, state, value, since, notifiedAt }));
    return { active, history: [...this.history].reverse() };
  }

  private observe(summary: RequestSummary, now: number): void {
    // Client mistakes and policy refusals are not incidents; upstream failures and our own 5xx are.
    const error = summary.status >= 500 || summary.errorCode === 'provider_rate_limited';
    const latency = summary.status < 400 ? summary.durationMs : null;
    for (const rule of this.options.rules) {
      if (rule.type !== 'error_rate' && rule.type !== 'p95_latency') continue;
      const scopeKey = rule.scope === 'model' ? summary.requestedModel : rule.scope === 'provider' ? summary.provider : 'gateway';
      if (scopeKey === null) continue;
      const key = `${rule.name}\u0000${scopeKey}`;
      let window = this.windows.get(key);
      if (window === undefined) {
        window = new SlidingWindow(rule.window_ms);
        this.windows.set(key, window);
      }
      window.add(now, error, latency);
    }
  }

  private transition(rule: AlertRule, scopeKey: string, breached: boolean, value: number | null, now: number): void {
    const key = `${rule.name}\u0000${scopeKey}`;
    const instance = this.instances.get(key);
    if (!breached) {
      if (instance === undefined) return;
      this.instances.delete(key);
      if (instance.state === 'firing' && instance.firingSince !== null && this.options.sendResolved) {
        this.emit(rule, scopeKey, 'resolved', value, rule.threshold ?? null, instance.firingSince, now,
          `${rule.name}:${scopeKey}:${instance.episodeStart}:resolved`, `${rule.name} resolved for ${scopeKey}`);
      }
      this.saveState(rule, scopeKey, null);
      return;
    }
    if (instance === undefined) {
      const created: Instance = {
        rule: rule.name, scopeKey, state: 'pending', value, since: now, notifiedAt: null, episodeStart: now, firingSince: null, repeats: 0,
      };
      this.instances.set(key, created);
      // Stored before it can fire: a leader that dies between the firing message and the next
      // write leaves this episode start behind, and its successor's firing has the same key.
      this.saveState(rule, scopeKey, created);
      this.maybeFire(rule, created, now);
      return;
    }
    instance.value = value;
    if (instance.state === 'pending') {
      this.maybeFire(rule, instance, now);
    } else if (instance.notifiedAt !== null && now - instance.notifiedAt >= this.options.repeatIntervalMs && instance.firingSince !== null) {
      instance.repeats += 1;
      instance.notifiedAt = now;
      this.emit(rule, scopeKey, 'firing', value, rule.threshold ?? null, instance.firingSince, now,
        `${rule.name}:${scopeKey}:${instance.episodeStart}:repeat:${instance.repeats}`, describe(rule, scopeKey, value, true));
      this.saveState(rule, scopeKey, instance);
    }
  }

  private maybeFire(rule: AlertRule, instance: Instance, now: number): void {
    // Event rules have no later evaluation to wait in: they fire at once.
    const forMs = rule.type === 'circuit_open' ? 0 : rule.for_ms;
    if (now - instance.since < forMs) return;
    instance.state = 'firing';
    instance.firingSince = now;
    instance.since = now;
    instance.notifiedAt = now;
    this.emit(rule, instance.scopeKey, 'firing', instance.value, rule.threshold ?? null, now, now,
      `${rule.name}:${instance.scopeKey}:${instance.episodeStart}:firing`, describe(rule, instance.scopeKey, instance.value, false));
    this.saveState(rule, instance.scopeKey, instance);
  }

  private saveState(rule: AlertRule, scopeKey: string, instance: Instance | null): void {
    if (this.options.onState === undefined || !WINDOWED.has(rule.type)) return;
    this.options.onState(rule.name, scopeKey, instance === null || instance.state === 'resolved' ? null : {
      rule: instance.rule, scopeKey, state: instance.state, value: instance.value, episodeStart: instance.episodeStart, since: instance.since,
      firingSince: instance.firingSince, notifiedAt: instance.notifiedAt, repeats: instance.repeats,
    });
  }

  private isWindowed(ruleName: string): boolean {
    const rule = this.options.rules.find((candidate) => candidate.name === ruleName);
    return rule !== undefined && WINDOWED.has(rule.type);
  }

  private emit(
    rule: AlertRule, scopeKey: string, state: 'firing' | 'resolved', value: number | null, threshold: number | null,
    since: number, at: number, dedupeKey: string, summary: string,
  ): void {
    const notification: AlertNotification = {
      dedupeKey: `alert:${dedupeKey}`, rule: rule.name, ruleType: rule.type, scopeKey, state, value, threshold,
      windowMs: rule.type === 'budget' || rule.type === 'circuit_open' ? null : rule.window_ms, since, at, summary, channels: rule.channels,
    };
    this.history.push(notification);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    this.options.notify(notification);
  }

  private rulesOf(type: AlertRule['type']): AlertRule[] {
    return this.options.rules.filter((rule) => rule.type === type);
  }
}

function describe(rule: AlertRule, scopeKey: string, value: number | null, repeat: boolean): string {
  const shown = value === null ? 'n/a'
    : rule.type === 'error_rate' ? `${(value * 100).toFixed(1)} % errors`
      : rule.type === 'p95_latency' ? `p95 ${Math.round(value)} ms`
        : rule.type === 'health_score' ? `health score ${value}`
          : rule.type === 'circuit_open' ? 'circuit open' : String(value);
  return `${repeat ? 'Still firing' : 'Firing'}: ${rule.name} for ${scopeKey} (${shown}${rule.threshold === undefined ? '' : `, threshold ${rule.threshold}`})`;
}
