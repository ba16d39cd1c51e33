import type { Random } from '../lib/index.js';

export interface PollSchedule {
  initialMs: number;
  multiplier: number;
  maxMs: number;
  /** ± this fraction of each delay, so jobs started together do not poll together. */
  jitter: number;
}

/** 2 s × 1.5ⁿ capped at 30 s, ±10 %: 2, 3, 4.5, 6.75, 10.1, 15.2, 22.8, 30, 30 … s, half the calls of a fixed 5 s poll. */
export const DEFAULT_POLL_SCHEDULE: PollSchedule = { initialMs: 2000, multiplier: 1.5, maxMs: 30_000, jitter: 0.1 };

/**
 * The wait before poll number `attempt + 1` (attempt 0 is the first poll after the start). A
 * provider's retry-after is honoured: the poll never comes sooner than it asked.
 */
export function nextPollDelayMs(schedule: PollSchedule, attempt: number, random: Random, retryAfterMs: number | null = null): number {
  const base = Math.min(schedule.initialMs * schedule.multiplier ** attempt, schedule.maxMs);
  const delay = Math.round(base * (1 + schedule.jitter * (random() * 2 - 1)));
  return retryAfterMs === null ? delay : Math.max(delay, retryAfterMs);
}
