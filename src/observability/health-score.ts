import type { CircuitState, GatewayEvent } from '../core/index.js';
import type { Clock } from '../lib/index.js';
import { LruCache, systemClock } from '../lib/index.js';
import { LATENCY_BOUNDS } from './alerts/sliding-window.js';
import { attemptOutcome, countsAgainstUpstream } from './attempt-outcome.js';

export interface HealthScoreSettings {
  /** How far back the score looks (default 5 minutes). */
  windowMs: number;
  /** Fewer upstream calls than this in the window is `unknown`, not 100. */
  minRequests: number;
  /** The p95 latency objective; slower targets lose up to half their score. */
  latencyObjectiveMs: number;
  /**
   * Targets remembered at most (least recently seen forgotten first): direct routes name a model
   * the client chose, so without a bound every new name would grow the scorer for good.
   */
  maxTargets: number;
  clock?: Clock | undefined;
}

export type HealthBand = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export interface TargetHealth {
  provider: string;
  model: string;
  /** 0–100, or null when there were too few calls to tell (an open circuit is 0 regardless). */
  score: number | null;
  band: HealthBand;
  requests: number;
  failures: number;
  p95Ms: number | null;
  circuit: CircuitState;
}

export interface ProviderHealth {
  score: number | null;
  band: HealthBand;
  requests: number;
}

const SLICES = 10;

interface Slice {
  start: number;
  ok: number;
  failed: number;
  latency: number[];
}

interface TargetWindow {
  provider: string;
  model: string;
  slices: Slice[];
}

/** healthy ≥ 90, degraded 70–89, unhealthy < 70. */
export function healthBand(score: number | null): HealthBand {
  if (score === null) return 'unknown';
  return score >= 90 ? 'healthy' : score >= 70 ? 'degraded' : 'unhealthy';
}

/**
 * A health score per provider and target over a sliding window, fed by request-end attempts and
 * circuit changes: availability (5xx, 429, timeouts and network errors count against it; a 4xx the
 * client caused does not) times a latency factor (p95 against the objective, floored at 0.5).
 * An open circuit scores 0 and a half-open one at most 50. Information only: readiness status
 * codes never depend on it.
 */
export class HealthScorer {
  private readonly settings: HealthScoreSettings;
  private readonly clock: Clock;
  private readonly sliceMs: number;
  private readonly targets: LruCache<string, TargetWindow>;
  private readonly circuits: LruCache<string, CircuitState>;

  constructor(settings: HealthScoreSettings) {
    this.settings = settings;
    this.clock = settings.clock ?? systemClock;
    this.sliceMs = Math.max(1, Math.ceil(settings.windowMs / SLICES));
    this.targets = new LruCache(settings.maxTargets);
    this.circuits = new LruCache(settings.maxTargets);
  }

  /** Targets held now (at most `maxTargets`). */
  get size(): number {
    return this.targets.size;
  }

  readonly handle = (event: GatewayEvent): void => {
    if (event.type === 'circuit-state') {
      this.circuits.set(targetKey(event.change.provider, event.change.model), event.change.to);
      if (event.change.to !== 'closed') this.window(event.change.provider, event.change.model);
      return;
    }
    if (event.type !== 'request-end') return;
    for (const attempt of event.summary.attempts) {
      const outcome = attemptOutcome(attempt);
      const failed = countsAgainstUpstream(outcome);
      if (!failed && outcome !== 'success') continue;
      const slice = this.currentSlice(this.window(attempt.provider, attempt.model));
      if (failed) {
        slice.failed += 1;
      } else {
        slice.ok += 1;
        const index = LATENCY_BOUNDS.findIndex((bound) => attempt.durationMs <= bound);
        slice.latency[index] = (slice.latency[index] ?? 0) + 1;
      }
    }
  };

  /** Every target seen (traffic or a circuit change), with its score now. */
  targetScores(): TargetHealth[] {
    const now = this.clock.now();
    return [...this.targets.values()].map((window) => this.scoreTarget(window, now));
  }

  /** Per provider: the traffic-weighted mean of its targets (an open target weighs as if it had min_requests calls). */
  providerScores(): Map<string, ProviderHealth> {
    const grouped = new Map<string, { weighted: number; weight: number; requests: number }>();
    for (const target of this.targetScores()) {
      const entry = grouped.get(target.provider) ?? { weighted: 0, weight: 0, requests: 0 };
      entry.requests += target.requests;
      if (target.score !== null) {
        const weight = Math.max(target.requests, target.circuit === 'open' ? this.settings.minRequests : 0);
        entry.weighted += target.score * weight;
        entry.weight += weight;
      }
      grouped.set(target.provider, entry);
    }
    const result = new Map<string, ProviderHealth>();
    for (const [provider, entry] of grouped) {
      const score = entry.weight === 0 ? null : Math.round(entry.weighted / entry.weight);
      result.set(provider, { score, band: healthBand(score), requests: entry.requests });
    }
    return result;
  }

  /** The gateway's score: 0 when a dependency it cannot serve without is down, else the providers' traffic-weighted mean. */
  gatewayScore(dependenciesUp: boolean): number | null {
    if (!dependenciesUp) return 0;
    let weighted = 0;
    let weight = 0;
    for (const provider of this.providerScores().values()) {
      if (provider.score === null) continue;
      const providerWeight = Math.max(1, provider.requests);
      weighted += provider.score * providerWeight;
      weight += providerWeight;
    }
    return weight === 0 ? null : Math.round(weighted / weight);
  }

  private scoreTarget(window: TargetWindow, now: number): TargetHealth {
    const circuit = this.circuits.get(targetKey(window.provider, window.model)) ?? 'closed';
    let ok = 0;
    let failed = 0;
    const latency: number[] = [];
    for (const slice of window.slices) {
      if (slice.start <= now - this.settings.windowMs) continue;
      ok += slice.ok;
      failed += slice.failed;
      slice.latency.forEach((count, index) => {
        latency[index] = (latency[index] ?? 0) + (count ?? 0);
      });
    }
    const requests = ok + failed;
    const p95Ms = percentile(latency, ok, 0.95);
    let score: number | null = null;
    if (requests >= this.settings.minRequests) {
      const availability = ok / requests;
      const latencyFactor = p95Ms === null ? 1 : Math.min(1, Math.max(0.5, this.settings.latencyObjectiveMs / p95Ms));
      score = Math.round(100 * availability * latencyFactor);
    }
    if (circuit === 'open') score = 0;
    else if (circuit === 'half_open') score = Math.min(score ?? 50, 50);
    return { provider: window.provider, model: window.model, score, band: healthBand(score), requests, failures: failed, p95Ms, circuit };
  }

  private window(provider: string, model: string): TargetWindow {
    const key = targetKey(provider, model);
    let window = this.targets.get(key);
    if (window === undefined) {
      window = { provider, model, slices: [] };
      this.targets.set(key, window);
    }
    return window;
  }

  private currentSlice(window: TargetWindow): Slice {
    const start = Math.floor(this.clock.now() / this.sliceMs) * this.sliceMs;
    const last = window.slices[window.slices.length - 1];
    if (last !== undefined && last.start === start) return last;
    const slice: Slice = { start, ok: 0, failed: 0, latency: [] };
    window.slices.push(slice);
    // One slice more than the window holds, so a slice only partly outside still counts until it is wholly out.
    if (window.slices.length > SLICES + 1) window.slices.shift();
    return slice;
  }
}

function targetKey(provider: string, model: string): string {
  return `${provider}\u0000${model}`;
}

/** The upper bound of the bucket holding the q-quantile; null without data. */
function percentile(counts: number[], total: number, quantile: number): number | null {
  if (total === 0) return null;
  const rank = Math.ceil(total * quantile);
  let seen = 0;
  for (let index = 0; index < LATENCY_BOUNDS.length; index += 1) {
    seen += counts[index] ?? 0;
    if (seen >= rank) {
      const bound = LATENCY_BOUNDS[index] ?? Infinity;
      return Number.isFinite(bound) ? bound : (LATENCY_BOUNDS[index - 1] ?? 0) * 2;
    }
  }
  return null;
}
