/** An alert rule as the config states it (`alerts.rules[]`). */
export interface AlertRule {
  name: string;
  type: 'error_rate' | 'p95_latency' | 'budget' | 'circuit_open' | 'health_score';
  /** error_rate: a fraction (0.05); p95_latency: milliseconds; health_score: fires below it. */
  threshold?: number | undefined;
  /** budget: the fractions of a budget that notify. */
  thresholds: readonly number[];
  window_ms: number;
  min_requests: number;
  /** The condition must hold this long before the alert fires (pending until then). */
  for_ms: number;
  /** What one alert instance covers: the whole gateway, one public model, or one provider. */
  scope: 'gateway' | 'model' | 'provider';
  /** Channel names; empty means every channel. */
  channels: readonly string[];
}

export interface AlertChannel {
  name: string;
  type: 'slack' | 'webhook';
  url: string;
  /** `whsec_…`: webhook channels sign with it (Standard Webhooks). */
  secret?: string | undefined;
}

export type AlertState = 'pending' | 'firing' | 'resolved';

/** One notification: a firing (or a repeat of one), or its resolution. Never content nor secrets. */
export interface AlertNotification {
  /** Unique per firing episode and kind: the outbox stores it once, whichever instance enqueues it first. */
  dedupeKey: string;
  rule: string;
  ruleType: AlertRule['type'];
  /** `gateway`, a model, a provider, a `provider/model` target, or a budget subject such as `key:abc`. */
  scopeKey: string;
  state: 'firing' | 'resolved';
  value: number | null;
  threshold: number | null;
  windowMs: number | null;
  /** Epoch ms when the episode started firing. */
  since: number;
  at: number;
  summary: string;
  channels: readonly string[];
}
