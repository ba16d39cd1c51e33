import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { ERROR_CODES } from '../core/index.js';
import type { AttemptRecord, CircuitState, CircuitStateChange, GatewayEvent, RequestSummary } from '../core/index.js';
import { LruCache } from '../lib/index.js';
import { attemptOutcome } from './attempt-outcome.js';
import { OVERFLOW_LABEL, SeriesCap } from './series-cap.js';

export interface RequestMetricsSettings {
  registry: Registry;
  /** Public model names; any other requested name is `other` unless it is a `provider/model` that reached `provider`. */
  knownModels: ReadonlySet<string>;
  /** Configured provider names (direct `provider/model` names of these get their own series, up to the cap). */
  providers: ReadonlySet<string>;
  /** Opt-in per-key and per-tenant series (`metrics.labels`) on requests, tokens and cost. */
  perKey: boolean;
  perTenant: boolean;
  /** Series per metric before new label sets fold into one `other` series (`metrics.max_series_per_metric`). */
  maxSeriesPerMetric: number;
}

type Inc = { inc(value?: number): void };
type Observe = { observe(value: number): void };

const CIRCUIT_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };
const POLICY_REASONS = new Set(['rate_limit_exceeded', 'quota_exceeded', 'budget_exceeded', 'model_not_allowed']);
const KNOWN_ERROR_CODES = new Set(Object.keys(ERROR_CODES));
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160];
const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20];
/** The gateway's own time is sub-millisecond when healthy: 100 µs up to 100 ms. */
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/**
 * Turns gateway events into the `sluice_*` Prometheus series. It runs as an event subscriber, after
 * the answer: the request path pays nothing but the emit. Every label is bounded (see SeriesCap and
 * `modelLabel`), so random model names or keys can never grow the scrape without limit.
 */
export class RequestMetrics {
  private readonly settings: RequestMetricsSettings;
  private readonly requests: SeriesCap<Inc>;
  private readonly requestDuration: SeriesCap<Observe>;
  private readonly timeToFirstToken: SeriesCap<Observe>;
  private readonly overhead: SeriesCap<Observe>;
  private readonly upstreamDuration: SeriesCap<Observe>;
  private readonly upstreamAttempts: SeriesCap<Inc>;
  private readonly fallbacks: SeriesCap<Inc>;
  private readonly hedges: SeriesCap<Inc>;
  private readonly tokens: SeriesCap<Inc>;
  private readonly cost: SeriesCap<Inc>;
  private readonly cacheLookups: SeriesCap<Inc>;
  private readonly policyRejections: SeriesCap<Inc>;
  private readonly circuitTransitions: SeriesCap<Inc>;
  private readonly circuitStateGauge: Gauge;
  /** Most recently changed first to survive: direct routes name client-chosen models, so the map is bounded like the series. */
  private readonly circuitStates: LruCache<string, { provider: string; model: string; value: number }>;
  private readonly inFlightGauge: Gauge;
  private readonly inFlight = new Set<string>();
  private readonly budgetWarnings: Counter;
  private readonly failOpen: Counter;
  private readonly capWarnings: Counter;

  constructor(settings: RequestMetricsSettings) {
    this.settings = settings;
    const registers = [settings.registry];
    const cap = settings.maxSeriesPerMetric;
    const ownerLabels = [...(settings.perKey ? ['key'] : []), ...(settings.perTenant ? ['tenant'] : [])];

    const counter = (name: string, help: string, labelNames: string[]): SeriesCap<Inc> => {
      const metric = new Counter({ name, help, labelNames, registers });
      return new SeriesCap((values) => metric.labels(...values), cap, labelNames.length);
    };
    const histogram = (name: string, help: string, labelNames: string[], buckets: number[]): SeriesCap<Observe> => {
      const metric = new Histogram({ name, help, labelNames, buckets, registers });
      return new SeriesCap((values) => metric.labels(...values), cap, labelNames.length);
    };

    this.requests = counter('sluice_requests_total', 'Requests answered, by endpoint, public model, provider, status class, error code, stream and cache',
      ['endpoint', 'model', 'provider', 'status_class', 'error_code', 'stream', 'cache', ...ownerLabels]);
    this.requestDuration = histogram('sluice_request_duration_seconds', 'Time from the request to the end of its answer',
      ['endpoint', 'model', 'provider', 'status_class'], DURATION_BUCKETS);
    this.timeToFirstToken = histogram('sluice_time_to_first_token_seconds', 'Streams: time from the request to the first content byte',
      ['model', 'provider'], TTFT_BUCKETS);
    this.overhead = histogram('sluice_gateway_overhead_seconds', 'Request time not spent waiting on upstreams (routing, policies, our own work)',
      ['endpoint'], OVERHEAD_BUCKETS);
    this.upstreamDuration = histogram('sluice_upstream_duration_seconds', 'One upstream call, from sending to its last byte',
      ['provider', 'target_model', 'outcome'], DURATION_BUCKETS);
    this.upstreamAttempts = counter('sluice_upstream_attempts_total', 'Upstream calls, by kind (first, retry, fallback, hedge) and outcome',
      ['provider', 'target_model', 'kind', 'outcome']);
    this.fallbacks = counter('sluice_fallbacks_total', 'Attempts on another target after a failure, by the target left and the one tried',
      ['model', 'from_provider', 'to_provider', 'outcome']);
    this.hedges = counter('sluice_hedges_total', 'Hedged attempts: won (answered first), lost (cancelled), failed', ['model', 'outcome']);
    this.tokens = counter('sluice_tokens_total', 'Tokens by type: input, output, cached_input, cache_write, reasoning',
      ['model', 'provider', 'type', ...ownerLabels]);
    this.cost = counter('sluice_cost_usd_total', 'Cost of answered requests in US dollars', ['model', 'provider', ...ownerLabels]);
    this.cacheLookups = counter('sluice_cache_lookups_total', 'Response-cache lookups by result', ['model', 'result']);
    this.policyRejections = counter('sluice_policy_rejections_total', 'Requests refused by a limit, quota, budget or model allowance', ['reason']);
    this.circuitTransitions = counter('sluice_circuit_transitions_total', 'Circuit-breaker state changes, by the state entered',
      ['provider', 'target_model', 'to']);
    this.circuitStates = new LruCache(cap);
    this.circuitStateGauge = new Gauge({
      name: 'sluice_circuit_state',
      help: 'Circuit breaker per target: 0 closed, 1 half-open, 2 open',
      labelNames: ['provider', 'target_model'],
      registers,
      // Each worker has its own breakers: the group's worst one is what an operator needs.
      aggregator: 'max',
      collect: () => this.collectCircuitStates(),
    });
    this.inFlightGauge = new Gauge({
      name: 'sluice_http_in_flight_requests', help: 'Requests a use case is working on', registers, collect: () => {
        this.inFlightGauge.set(this.inFlight.size);
      },
    });
    this.budgetWarnings = new Counter({
      name: 'sluice_budget_warnings_total', help: 'Budget thresholds crossed (50 %, 80 %, 100 %)', labelNames: ['scope', 'threshold'], registers,
    });
    this.capWarnings = new Counter({
      name: 'sluice_cap_warnings_total', help: 'Provider, model and target cap thresholds crossed (50 %, 80 %, 100 %), once per period',
      // Subjects are configured names (providers, public models, targets), so the series are bounded.
      labelNames: ['scope', 'subject', 'cap', 'threshold'], registers,
    });
    this.failOpen = new Counter({
      name: 'sluice_limit_store_fail_open_total', help: 'Limit decisions taken with local limits because Redis failed', labelNames: ['operation'], registers,
    });
  }

  readonly handle = (event: GatewayEvent): void => {
    switch (event.type) {
      case 'request-start':
        this.inFlight.add(event.requestId);
        return;
      case 'request-end':
        this.inFlight.delete(event.summary.requestId);
        this.recordRequest(event.summary);
        return;
      case 'circuit-state':
        this.recordCircuit(event.change);
        return;
      case 'budget-warning':
        this.budgetWarnings.labels(event.scope, String(event.threshold)).inc();
        return;
      case 'cap-warning':
        this.capWarnings.labels(event.scope, event.subject, event.cap, String(event.threshold)).inc();
        return;
      case 'limit-store-fail-open':
        this.failOpen.labels(event.operation).inc();
        return;
    }
  };

  private recordRequest(summary: RequestSummary): void {
    const model = this.modelLabel(summary);
    const provider = summary.provider ?? '';
    const statusClass = `${Math.floor(summary.status / 100)}xx`;
    const errorCode = summary.errorCode === null ? '' : KNOWN_ERROR_CODES.has(summary.errorCode) ? summary.errorCode : OVERFLOW_LABEL;
    const owners = this.ownerLabels(summary);
    this.requests.get([
      summary.endpoint, model, provider, statusClass, errorCode, String(summary.stream), summary.cacheStatus ?? '', ...owners,
    ]).inc();
    this.requestDuration.get([summary.endpoint, model, provider, statusClass]).observe(summary.durationMs / 1000);
    this.overhead.get([summary.endpoint]).observe(summary.overheadMs / 1000);
    if (summary.timeToFirstTokenMs !== null) this.timeToFirstToken.get([model, provider]).observe(summary.timeToFirstTokenMs / 1000);
    if (summary.cacheStatus !== undefined && summary.cacheStatus !== null) this.cacheLookups.get([model, summary.cacheStatus]).inc();
    if (summary.errorCode !== null && POLICY_REASONS.has(summary.errorCode)) this.policyRejections.get([summary.errorCode]).inc();

    const usage = summary.usage;
    if (usage !== null) {
      // Input and output are disjoint; cached, cache-write and reasoning are parts of them, shown on their own.
      this.addTokens(model, provider, 'input', usage.promptTokens, owners);
      this.addTokens(model, provider, 'output', usage.completionTokens, owners);
      this.addTokens(model, provider, 'cached_input', usage.cachedTokens, owners);
      this.addTokens(model, provider, 'cache_write', usage.cacheWriteTokens, owners);
      this.addTokens(model, provider, 'reasoning', usage.reasoningTokens, owners);
    }
    if (summary.costUsd > 0) this.cost.get([model, provider, ...owners]).inc(summary.costUsd);
    this.recordAttempts(summary, model);
  }

  private recordAttempts(summary: RequestSummary, model: string): void {
    let previous: AttemptRecord | undefined;
    for (const attempt of summary.attempts) {
      const outcome = attemptOutcome(attempt);
      const kind = attempt.kind ?? 'first';
      this.upstreamAttempts.get([attempt.provider, attempt.model, kind, outcome]).inc();
      // A target skipped for a reached cap made no call: no duration, and no fallback from it.
      if (kind === 'skipped') continue;
      this.upstreamDuration.get([attempt.provider, attempt.model, outcome]).observe(attempt.durationMs / 1000);
      if (kind === 'fallback') {
        this.fallbacks.get([model, previous?.provider ?? '', attempt.provider, outcome === 'success' ? 'success' : 'failure']).inc();
      } else if (kind === 'hedge') {
        this.hedges.get([model, outcome === 'success' ? 'won' : outcome === 'cancelled' ? 'lost' : 'failed']).inc();
      }
      previous = attempt;
    }
  }

  private addTokens(model: string, provider: string, type: string, count: number, owners: string[]): void {
    if (count > 0) this.tokens.get([model, provider, type, ...owners]).inc(count);
  }

  /** The public model, `other` for names nobody configured (typos must not mint permanent series). */
  private modelLabel(summary: RequestSummary): string {
    const requested = summary.requestedModel;
    if (requested === null) return '';
    if (this.settings.knownModels.has(requested)) return requested;
    const slash = requested.indexOf('/');
    // A direct `provider/model` name that an upstream answered is real; the series cap bounds them.
    if (slash > 0 && summary.status < 400 && this.settings.providers.has(requested.slice(0, slash))) return requested;
    return OVERFLOW_LABEL;
  }

  private ownerLabels(summary: RequestSummary): string[] {
    const labels: string[] = [];
    if (this.settings.perKey) labels.push(summary.keyId ?? '');
    if (this.settings.perTenant) labels.push(summary.tenantId ?? '');
    return labels;
  }

  private recordCircuit(change: CircuitStateChange): void {
    this.circuitTransitions.get([change.provider, change.model, change.to]).inc();
    this.circuitStates.set(`${change.provider}\u0000${change.model}`, { provider: change.provider, model: change.model, value: CIRCUIT_VALUE[change.to] });
  }

  /** Circuit states held now (at most the series cap). */
  get circuitStateCount(): number {
    return this.circuitStates.size;
  }

  private collectCircuitStates(): void {
    // Rebuilt from the bounded map each scrape, so a forgotten target's series goes too.
    this.circuitStateGauge.reset();
    for (const state of this.circuitStates.values()) this.circuitStateGauge.labels(state.provider, state.model).set(state.value);
  }
}
