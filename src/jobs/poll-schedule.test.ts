import { describe, expect, it } from 'vitest';
import { DEFAULT_POLL_SCHEDULE, nextPollDelayMs } from './poll-schedule.js';

describe('the poll schedule', () => {
  it('starts at 2 s and grows by 1.5 up to 30 s, without jitter when random is the midpoint', () => {
    const delays = Array.from({ length: 10 }, (_, attempt) => nextPollDelayMs(DEFAULT_POLL_SCHEDULE, attempt, () => 0.5));
    expect(delays).toEqual([2000, 3000, 4500, 6750, 10_125, 15_188, 22_781, 30_000, 30_000, 30_000]);
  });

  it('stays within ±10 % jitter', () => {
    const low = Array.from({ length: 9 }, (_, attempt) => nextPollDelayMs(DEFAULT_POLL_SCHEDULE, attempt, () => 0));
    const high = Array.from({ length: 9 }, (_, attempt) => nextPollDelayMs(DEFAULT_POLL_SCHEDULE, attempt, () => 0.999_999));
    expect(low.slice(0, 4)).toEqual([1800, 2700, 4050, 6075]);
    expect(high.slice(0, 4)).toEqual([2200, 3300, 4950, 7425]);
    expect(low[8]).toBe(27_000);
    expect(high[8]).toBe(33_000);
  });

  it('never polls sooner than the provider\'s retry-after', () => {
    expect(nextPollDelayMs(DEFAULT_POLL_SCHEDULE, 0, () => 0.5, 20_000)).toBe(20_000);
    expect(nextPollDelayMs(DEFAULT_POLL_SCHEDULE, 5, () => 0.5, 1_000)).toBe(15_188);
  });
});
