import type { ChatRequest } from './chat.js';
import type { EmbeddingsRequest } from './embeddings.js';
import type { Usage } from './usage.js';

/**
 * Supply-side caps (issue 21): tokens and USD per UTC day and month, and requests per minute,
 * on a provider, on a public model, or on one of its targets. Routing asks the gate before each
 * upstream call; the gate lives with the other limits (policies) so caps reserve and settle in
 * the same limit store as key budgets.
 */
export interface CapTarget {
  /** The public model whose route reaches this target; null for a direct `provider/model`. */
  publicModel: string | null;
  /** The configured provider name. */
  provider: string;
  /** The upstream model id. */
  model: string;
}

export type CapCall =
  | { kind: 'chat'; request: ChatRequest }
  | { kind: 'embeddings'; request: EmbeddingsRequest };

/** What a granted call holds until it settles. */
export interface CapHold {
  /**
   * Replaces the reservation with what the call used; runs once and never throws. `usage` null
   * with `streamedOutputTokens` 0 means nothing was used (the call failed before any output).
   */
  settle(usage: Usage | null, streamedOutputTokens: number): Promise<void>;
}

export interface CapRefusal {
  /** The cap that would be passed, e.g. `provider claude tokens_per_day`. */
  cap: string;
  /** Ms until that cap's counter resets (the next UTC day or month, or the minute window). */
  retryAfterMs: number | null;
  message: string;
}

export type CapDecision = { granted: true; hold: CapHold } | { granted: false; refusal: CapRefusal };

export interface CapGate {
  /** True when some cap covers the target; routes only wrap such targets. */
  covers(target: CapTarget): boolean;
  /** Reserves the call's worst case against every cap of the target, all or none. */
  reserve(target: CapTarget, call: CapCall, requestId: string): Promise<CapDecision>;
}

/**
 * An image or video job as caps see it. Its reservation is named by the job id, so whichever
 * instance finishes the job (the poller may move it) settles the reservation the creating
 * instance took, in the shared limit store.
 */
export interface CapJob {
  id: string;
  requestId: string;
  /** Epoch ms the reservation was taken: it names the day and month the job counts in. */
  reservedAt: number;
}

export type CapJobDecision = { granted: true } | { granted: false; refusal: CapRefusal };

/**
 * Caps for image and video jobs: a job reserves its priced cost (and one request of the rpm
 * window) when it is created and settles its real cost when it ends. Jobs spend no tokens, so
 * token caps do not stop them.
 */
export interface JobCapGate {
  reserveJob(target: CapTarget, job: CapJob, costUsd: number, leaseMs: number): Promise<CapJobDecision>;
  /** Replaces the job's reservation with its real cost (0 for a failed or deleted job); never throws. */
  settleJob(target: CapTarget, job: CapJob, costUsd: number): Promise<void>;
}

/** No caps for jobs. */
export const NO_JOB_CAPS: JobCapGate = {
  reserveJob: async () => ({ granted: true }),
  settleJob: async () => {},
};

/** No caps configured: routes stay unwrapped. */
export const NO_CAPS: CapGate = {
  covers: () => false,
  reserve: async () => ({ granted: true, hold: { settle: async () => {} } }),
};
