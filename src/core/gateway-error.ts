import type { AttemptRecord } from './provider.js';

/**
 * Every failure Sluice reports carries one of these codes. Codes are stable: once published a code
 * keeps its meaning. `status` is the default HTTP status; `retryable` says whether routing may try
 * the same call again (our own policy refusals never are).
 */
export const ERROR_CODES = {
  invalid_json: { status: 400, retryable: false, type: 'invalid_request_error' },
  invalid_request: { status: 400, retryable: false, type: 'invalid_request_error' },
  body_too_large: { status: 413, retryable: false, type: 'invalid_request_error' },
  not_found: { status: 404, retryable: false, type: 'invalid_request_error' },
  missing_api_key: { status: 401, retryable: false, type: 'authentication_error' },
  invalid_api_key: { status: 401, retryable: false, type: 'authentication_error' },
  model_not_allowed: { status: 403, retryable: false, type: 'permission_error' },
  /** The key is valid but may not use this part of the API (e.g. a client key on /admin/api). */
  permission_denied: { status: 403, retryable: false, type: 'permission_error' },
  model_not_found: { status: 404, retryable: false, type: 'invalid_request_error' },
  /** The caller has a budget and the model has no known price (limits.unpriced_models: refuse). */
  model_not_priced: { status: 400, retryable: false, type: 'invalid_request_error' },
  /** A cost-bearing option (service_tier, server tools, …) that neither the model nor the key's tier allows. */
  option_not_allowed: { status: 400, retryable: false, type: 'invalid_request_error' },
  unknown_service: { status: 404, retryable: false, type: 'invalid_request_error' },
  rate_limit_exceeded: { status: 429, retryable: false, type: 'rate_limit_error' },
  quota_exceeded: { status: 429, retryable: false, type: 'rate_limit_error' },
  budget_exceeded: { status: 429, retryable: false, type: 'rate_limit_error' },
  provider_error: { status: 502, retryable: true, type: 'api_error' },
  provider_rate_limited: { status: 429, retryable: true, type: 'rate_limit_error' },
  provider_timeout: { status: 504, retryable: true, type: 'timeout_error' },
  provider_unavailable: { status: 503, retryable: true, type: 'api_error' },
  /** Every slot of the provider's `max_concurrent` stayed taken for the whole queue wait. */
  provider_overloaded: { status: 503, retryable: true, type: 'api_error' },
  /** A provider, model or target cap (`limits` in the config) would be passed; the target is skipped. */
  provider_cap_reached: { status: 429, retryable: true, type: 'rate_limit_error' },
  json_parse_error: { status: 502, retryable: false, type: 'api_error' },
  output_validation_failed: { status: 502, retryable: false, type: 'api_error' },
  service_unavailable: { status: 503, retryable: false, type: 'api_error' },
  internal_error: { status: 500, retryable: false, type: 'api_error' },
  /** Only in logs: the client went away before its answer was complete (nginx's 499). */
  client_closed: { status: 499, retryable: false, type: 'api_error' },
} as const satisfies Record<string, { status: number; retryable: boolean; type: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface GatewayErrorOptions {
  cause?: unknown;
  status?: number;
  retryable?: boolean;
  /** The request field at fault, for `invalid_request`. */
  param?: string | null;
  /** How long the caller should wait before trying again. */
  retryAfterMs?: number | null;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly param: string | null;
  readonly retryAfterMs: number | null;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.param = options.param ?? null;
    this.retryAfterMs = options.retryAfterMs ?? null;
  }

  get type(): string {
    return ERROR_CODES[this.code].type;
  }
}

/** What an adapter recognised in an upstream refusal, so routing can pick a special fallback. */
export type ProviderErrorReason = 'context_window_exceeded';

export interface ProviderErrorOptions extends GatewayErrorOptions {
  provider: string;
  /** The upstream's HTTP status, or null when no response arrived (refused, reset, timed out). */
  upstreamStatus: number | null;
  reason?: ProviderErrorReason | null;
}

/** A failure of one upstream call. The adapter that saw it decides `retryable`. */
export class ProviderError extends GatewayError {
  readonly provider: string;
  readonly upstreamStatus: number | null;
  readonly reason: ProviderErrorReason | null;

  constructor(code: ErrorCode, message: string, options: ProviderErrorOptions) {
    super(code, message, options);
    this.name = 'ProviderError';
    this.provider = options.provider;
    this.upstreamStatus = options.upstreamStatus;
    this.reason = options.reason ?? null;
  }
}

/**
 * Every attempt of a route failed. The status follows the attempts: 429 when every one was
 * rate-limited, 504 when every one timed out, 503 when every target's circuit was open, else 502.
 */
export class AllAttemptsFailedError extends GatewayError {
  /** Every upstream call made, in the order they started. */
  readonly attempts: readonly AttemptRecord[];
  /** The individual failures (including targets skipped because their circuit was open). */
  readonly failures: readonly unknown[];

  constructor(
    code: ErrorCode, message: string, attempts: readonly AttemptRecord[], failures: readonly unknown[],
    options: GatewayErrorOptions = {},
  ) {
    super(code, message, options);
    this.name = 'AllAttemptsFailedError';
    this.attempts = attempts;
    this.failures = failures;
  }
}
