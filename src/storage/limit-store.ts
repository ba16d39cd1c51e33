/**
 * Counters behind rate limits, quotas and budgets. One `admit` call checks every counter a request
 * touches and either takes all of them or none, atomically, so concurrent requests (on one
 * instance or many sharing Redis) can never pass a limit together.
 *
 * Kinds:
 * - `window`: a sliding window (rpm, tpm) kept as 60 buckets of `span / 60` ms (1 s for a minute).
 *   A bucket counts until it lies wholly outside the window, so the counted span is slightly
 *   longer than `span`: the limit is never passed in any window of `span` ms, and a request may
 *   be refused up to one bucket early. Not a fixed window; memory does not grow with the rate.
 * - `concurrency`: requests in flight. Each holds a lease that expires `leaseMs` after admission,
 *   so an instance that dies cannot pin a slot.
 * - `ledger`: calendar quotas and budgets. `spent` plus open reservations must stay within the
 *   limit; reservations carry the same lease and expire with it. `span` is the absolute epoch ms
 *   at which the period ends (the counter expires), or 0 for a ledger that never resets.
 */
export type LimitKind = 'window' | 'concurrency' | 'ledger';

export interface LimitCheck {
  kind: LimitKind;
  /** Store key, unique per subject, limit and period: `key:k_1:rpm`, `tenant:acme:usd:2026-11`. */
  key: string;
  limit: number;
  /** What this request takes: 1 request, N tokens, or nano-USD. Integers. */
  cost: number;
  /** `window`: the window length in ms. `ledger`: the epoch ms the period ends, 0 = never. */
  span: number;
}

export interface LimitState {
  /** Used after this admission (window: sum of costs; concurrency: in flight; ledger: spent + reserved). */
  used: number;
  /** Ms until the oldest bucket leaves the window (window), or until the period ends (ledger); 0 otherwise. */
  resetMs: number;
}

export type AdmitResult =
  | { admitted: true; states: LimitState[] }
  /** `index` is the first check that refused; `retryAfterMs` the real wait, or null if it can never pass. */
  | { admitted: false; index: number; retryAfterMs: number | null; states: LimitState[] };

export interface Settlement {
  check: LimitCheck;
  /** The real cost: tokens used, nano-USD spent; ignored for concurrency (the lease ends). */
  actual: number;
}

/** Per settlement: the ledger's `spent` before and after (0, 0 for other kinds). */
export interface SettleResult {
  before: number;
  after: number;
}

/** Window buckets: 60 per window, at least 1 ms each. */
export function windowBucketMs(span: number): number {
  return Math.max(1, Math.ceil(span / 60));
}

export interface LimitStore {
  /** Takes every check for `requestId` or none. `leaseMs` bounds concurrency slots and reservations. */
  admit(requestId: string, checks: readonly LimitCheck[], now: number, leaseMs: number): Promise<AdmitResult>;
  /**
   * Replaces the request's reservations with their actual cost and ends its leases. `admittedAt`
   * is the `now` the request was admitted with (it names the window bucket to correct).
   */
  settle(requestId: string, settlements: readonly Settlement[], now: number, admittedAt: number): Promise<SettleResult[]>;
  /** Health of the backing store (Redis); memory is always up. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
