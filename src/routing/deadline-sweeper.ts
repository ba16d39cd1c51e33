import type { Clock } from '../lib/index.js';

/** One pending deadline; `expire` runs once if it passes before the entry is removed. */
export interface DeadlineEntry {
  readonly at: number;
  readonly expire: () => void;
}

/**
 * Every pending deadline of one route, watched by a single timer instead of one timer (and its
 * promise and race) per request. All entries share one delay, so, with a clock that does not go
 * back, insertion order is deadline order: the timer only ever waits for the first entry, and a
 * finished request leaves by an O(1) delete.
 */
export class DeadlineSweeper {
  private readonly pending = new Set<DeadlineEntry>();
  private cancelTimer: (() => void) | null = null;
  private sweeping = false;
  private readonly clock: Clock;
  private readonly delayMs: number;

  constructor(clock: Clock, delayMs: number) {
    this.clock = clock;
    this.delayMs = delayMs;
  }

  /** Starts watching a deadline `delayMs` from now. */
  add(expire: () => void): DeadlineEntry {
    const entry: DeadlineEntry = { at: this.clock.now() + this.delayMs, expire };
    this.pending.add(entry);
    if (this.cancelTimer === null && !this.sweeping) this.arm(this.delayMs);
    return entry;
  }

  /** The work finished in time (or the entry already expired: then this does nothing). */
  remove(entry: DeadlineEntry): void {
    if (!this.pending.delete(entry) || this.pending.size > 0 || this.cancelTimer === null) return;
    // Nothing left to watch: a sleeping timer would only wake to find nothing (and would keep a
    // manual test clock's timer list non-empty).
    this.cancelTimer();
    this.cancelTimer = null;
  }

  private arm(delayMs: number): void {
    this.cancelTimer = this.clock.setTimer(() => this.sweep(), delayMs);
  }

  private sweep(): void {
    this.cancelTimer = null;
    this.sweeping = true;
    const now = this.clock.now();
    try {
      for (const entry of this.pending) {
        if (entry.at > now) break;
        this.pending.delete(entry);
        entry.expire();
      }
    } finally {
      this.sweeping = false;
      const first = this.pending.values().next();
      if (first.done !== true) this.arm(Math.max(0, first.value.at - now));
    }
  }
}
