import { ProviderError } from '../core/index.js';

/** A target was skipped because its circuit breaker is open; no upstream call was made. */
export class CircuitOpenError extends ProviderError {
  readonly model: string;

  constructor(provider: string, model: string, retryAfterMs: number) {
    super('provider_unavailable', `${provider}/${model} is unavailable (circuit open)`, {
      provider, upstreamStatus: null, retryable: true, retryAfterMs,
    });
    this.name = 'CircuitOpenError';
    this.model = model;
  }
}
