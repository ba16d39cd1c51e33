import { ProviderError } from '../core/index.js';

/** A target was skipped because its circuit breaker is open; no upstream call was made. */
export class CircuitOpenError extends ProviderError {
  readonly model: string;

  constructor(provider: string, model: string, retryAfterMs: number | null, reached?: { code: 'provider_cap_reached'; message: string }) {
    super(reached?.code ?? 'provider_unavailable', reached?.message ?? `${provider}/${model} is unavailable (circuit open)`, {
      provider, upstreamStatus: null, retryable: true, retryAfterMs,
    });
    this.name = 'CircuitOpenError';
    this.model = model;
  }
}

/**
 * A target was skipped because one of its caps (`limits`) would be passed; no upstream call was
 * made. It is a CircuitOpenError on purpose: retries, hedges, fallbacks and load balancing already
 * treat an open circuit as "skip this target, try the next", which is exactly what a cap asks.
 */
export class CapReachedError extends CircuitOpenError {
  /** The cap that stopped the target, e.g. `provider claude tokens_per_day`. */
  readonly cap: string;

  constructor(provider: string, model: string, cap: string, retryAfterMs: number | null, message: string) {
    super(provider, model, retryAfterMs, { code: 'provider_cap_reached', message });
    this.name = 'CapReachedError';
    this.cap = cap;
  }
}
