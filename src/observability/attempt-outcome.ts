import type { AttemptRecord } from '../core/index.js';

/** How one upstream call ended, in the few words metrics, traces and the health score share. */
export type AttemptOutcome = 'success' | 'rate_limited' | 'server_error' | 'timeout' | 'network' | 'client_error' | 'cancelled' | 'skipped';

/**
 * Classifies an attempt. Only `client_error` (a 4xx the client caused) and `cancelled` (the client
 * went away, or a hedge lost) say nothing about the upstream's health; everything else but
 * `success` counts against it.
 */
export function attemptOutcome(attempt: AttemptRecord): AttemptOutcome {
  // A target skipped for a reached cap was never called: it says nothing about the upstream.
  if (attempt.kind === 'skipped') return 'skipped';
  if (attempt.errorCode === null) return 'success';
  if (attempt.errorCode === 'client_closed') return 'cancelled';
  if (attempt.status === 429 || attempt.errorCode === 'provider_rate_limited') return 'rate_limited';
  if (attempt.errorCode === 'provider_timeout') return 'timeout';
  if (attempt.status === null) return attempt.errorCode === 'provider_error' ? 'network' : 'server_error';
  if (attempt.status >= 500 || attempt.status < 400) return 'server_error';
  return 'client_error';
}

/** True when the outcome speaks against the upstream (availability in the health score). */
export function countsAgainstUpstream(outcome: AttemptOutcome): boolean {
  return outcome !== 'success' && outcome !== 'client_error' && outcome !== 'cancelled' && outcome !== 'skipped';
}
