import { GatewayError } from '../core/index.js';

/** A 429 from our own limits, carrying the `x-ratelimit-*` headers the answer must show. */
export class LimitExceededError extends GatewayError {
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: 'rate_limit_exceeded' | 'quota_exceeded' | 'budget_exceeded',
    message: string,
    retryAfterMs: number,
    headers: Record<string, string>,
  ) {
    super(code, message, { retryAfterMs });
    this.name = 'LimitExceededError';
    this.headers = headers;
  }
}
