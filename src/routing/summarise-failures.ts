import { AllAttemptsFailedError, GatewayError } from '../core/index.js';
import type { AttemptRecord, ErrorCode } from '../core/index.js';
import { CapReachedError, CircuitOpenError } from './circuit-open-error.js';
import { ProviderBusyError } from './provider-busy-error.js';

/** Retry hints we pass on are capped so that no SDK sleeps absurdly. */
export const MAX_CLIENT_RETRY_AFTER_MS = 60_000;
const DEFAULT_RETRY_AFTER_MS = 1000;

/** The failures behind an error: its own leaf failures when it already summarises a route. */
export function leafFailures(error: unknown): unknown[] {
  return error instanceof AllAttemptsFailedError ? [...error.failures] : [error];
}

/**
 * One error for a route whose every attempt failed: 429 `provider_cap_reached` when every target
 * was skipped for a reached cap (retry-after: the earliest reset, uncapped, since a daily cap
 * resets at most a day later), 503 when every target was skipped (circuit open or capped), 429
 * when every call was rate-limited, 504 when every call timed out, else 502. Its message lists
 * each attempt (target, status, error code, duration).
 */
export function summariseFailures(name: string, errors: readonly unknown[], attempts: readonly AttemptRecord[]): AllAttemptsFailedError {
  const failures = errors.flatMap(leafFailures);
  const gatewayErrors = failures.filter((error): error is GatewayError => error instanceof GatewayError);
  const skipped = failures.filter((error): error is CircuitOpenError => error instanceof CircuitOpenError);
  // Busy providers were skipped too (no upstream call), but they say "full", not "down".
  const busy = failures.filter((error): error is ProviderBusyError => error instanceof ProviderBusyError);
  const called = failures.filter((error) => !(error instanceof CircuitOpenError) && !(error instanceof ProviderBusyError));
  let code: ErrorCode = 'provider_error';
  let hinted: GatewayError[] = [];
  if (called.length === 0 && busy.length === 0 && skipped.length > 0 && skipped.every((error) => error instanceof CapReachedError)) {
    const resets = skipped.map((error) => error.retryAfterMs).filter((value): value is number => value !== null);
    return new AllAttemptsFailedError('provider_cap_reached', describe(name, 'provider_cap_reached', attempts, skipped.length), attempts, failures, {
      retryAfterMs: resets.length > 0 ? Math.min(...resets) : DEFAULT_RETRY_AFTER_MS, cause: failures[failures.length - 1],
    });
  }
  if (called.length === 0 && busy.length > 0) {
    code = 'provider_overloaded';
    hinted = [...busy, ...skipped];
  } else if (called.length === 0 && skipped.length > 0) {
    code = 'provider_unavailable';
    hinted = skipped;
  } else if (called.length > 0 && called.every((error) => error instanceof GatewayError && error.code === 'provider_rate_limited')) {
    code = 'provider_rate_limited';
    hinted = gatewayErrors.filter((error) => error.code === 'provider_rate_limited');
  } else if (called.length > 0 && called.every((error) => error instanceof GatewayError && error.code === 'provider_timeout')) {
    code = 'provider_timeout';
  }
  const hints = hinted.map((error) => error.retryAfterMs).filter((value): value is number => value !== null);
  const retryAfterMs = hinted.length === 0 ? null
    : Math.min(MAX_CLIENT_RETRY_AFTER_MS, hints.length > 0 ? Math.min(...hints) : DEFAULT_RETRY_AFTER_MS);
  return new AllAttemptsFailedError(code, describe(name, code, attempts, skipped.length), attempts, failures, {
    retryAfterMs, cause: failures[failures.length - 1],
  });
}

function describe(name: string, code: ErrorCode, attempts: readonly AttemptRecord[], skipped: number): string {
  const lead = code === 'provider_cap_reached'
    ? `Every target of model "${name}" has reached a configured cap; try again after the next reset.`
    : code === 'provider_unavailable'
      ? `Every target of model "${name}" is unavailable (circuit open or capped); try again later.`
      : code === 'provider_overloaded'
        ? `Every target of model "${name}" is at its provider's max_concurrent limit; try again shortly.`
      : `Every attempt for model "${name}" failed.`;
  const trail = attempts.map((attempt) => {
    if (attempt.kind === 'skipped') return `${attempt.provider}/${attempt.model}: skipped (${attempt.errorMessage ?? attempt.cap ?? 'cap reached'})`;
    const status = attempt.status === null ? 'no response' : String(attempt.status);
    return `${attempt.provider}/${attempt.model}: ${status} ${attempt.errorCode ?? 'ok'} in ${attempt.durationMs} ms` +
      (attempt.errorMessage === null ? '' : ` (${attempt.errorMessage})`);
  });
  const skippedText = skipped > 0 && code !== 'provider_unavailable' && code !== 'provider_cap_reached'
    ? ` ${skipped} target call(s) skipped: circuit open or capped.` : '';
  return trail.length === 0 ? lead : `${lead} Attempts: ${trail.join('; ')}.${skippedText}`;
}
