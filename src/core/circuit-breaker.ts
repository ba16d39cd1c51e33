import type { CircuitState } from './gateway-event.js';

export interface CircuitBreakerSettings {
  /** Failures within `windowMs` that open the circuit. */
  failureThreshold: number;
  windowMs: number;
  /** How long an open circuit skips its target before letting a probe through. */
  cooldownMs: number;
  /** Successful probes in a row that close a half-open circuit. */
  halfOpenSuccesses: number;
}

/** One breaker per target: a provider and the upstream model. */
export interface CircuitKey {
  provider: string;
  model: string;
}

export interface CircuitTransition {
  from: CircuitState;
  to: CircuitState;
}

export type CircuitAdmission =
  | { allowed: true; /** The call is a half-open probe and must be reported. */ probe: boolean; transition: CircuitTransition | null }
  | { allowed: false; retryAfterMs: number; transition: CircuitTransition | null };

/** What one call told the breaker: the upstream failed, worked, or we cannot tell (the client left). */
export type CircuitOutcome = 'success' | 'failure' | 'neutral';

export interface CircuitSnapshot extends CircuitKey {
  state: CircuitState;
  /** While open: when the cooldown ends and a probe may go (epoch ms), so operators see a countdown; else null. */
  openUntil: number | null;
}

/**
 * Where breaker state lives. A shared implementation (Redis) answers with promises; the in-memory
 * one answers at once, so that the common single-process call pays no promise for its breaker.
 * Every method takes `now` from the caller's clock.
 */
export interface CircuitBreakerStore {
  /** May a call go to this target now? Moves an open circuit to half-open once its cooldown is over. */
  admit(key: CircuitKey, settings: CircuitBreakerSettings, now: number): CircuitAdmission | Promise<CircuitAdmission>;
  /** Reports how an admitted call went. */
  record(
    key: CircuitKey, outcome: CircuitOutcome, probe: boolean, settings: CircuitBreakerSettings, now: number,
  ): CircuitTransition | null | Promise<CircuitTransition | null>;
  /** Every target's state as seen now (targets never called are closed and may be absent). */
  snapshot(now: number): Promise<CircuitSnapshot[]>;
}
