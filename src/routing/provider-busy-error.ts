import { ProviderError } from '../core/index.js';

/**
 * A call found every slot of its provider's `max_concurrent` taken for the whole queue wait; no
 * upstream call was made. Fallbacks move past it (another provider may have room); retries of the
 * same target do not, since the wait already was the retry.
 */
export class ProviderBusyError extends ProviderError {
  constructor(provider: string, waitedMs: number) {
    super('provider_overloaded', `${provider} is at its max_concurrent limit; no slot freed within ${waitedMs} ms`, {
      provider, upstreamStatus: null, retryable: true, retryAfterMs: 1000,
    });
    this.name = 'ProviderBusyError';
  }
}
