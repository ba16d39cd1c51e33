import type { RequestSummary } from '../core/index.js';

/** Rows per minute kept for requests refused for a missing or wrong key. */
export const ANONYMOUS_REFUSALS_PER_MINUTE = 120;

/**
 * Requests refused for a missing or wrong key cost an attacker nothing, and each would be a log
 * row: past a per-minute allowance they are counted instead of written, so a flood of them cannot
 * fill the disk. Their fields are already short (the body is never read without a key).
 */
export class AnonymousRefusalLimit {
  private windowStart = Number.NEGATIVE_INFINITY;
  private kept = 0;
  private dropped = 0;

  constructor(
    private readonly perMinute: number,
    /** Told once a minute how many rows were left out in the minute before. */
    private readonly onDropped: (count: number) => void,
  ) {}

  /** True when the row should be written. */
  admit(summary: RequestSummary, now: number): boolean {
    if (summary.errorCode !== 'missing_api_key' && summary.errorCode !== 'invalid_api_key') return true;
    if (now - this.windowStart >= 60_000) {
      if (this.dropped > 0) this.onDropped(this.dropped);
      this.windowStart = now;
      this.kept = 0;
      this.dropped = 0;
    }
    if (this.kept < this.perMinute) {
      this.kept += 1;
      return true;
    }
    this.dropped += 1;
    return false;
  }
}
