import type { Clock } from '../../src/lib/index.js';

interface Timer {
  at: number;
  callback: () => void;
  cancelled: boolean;
}

/** A clock that only moves when a test calls `advance`. */
export class ManualClock implements Clock {
  private current: number;
  private readonly timers: Timer[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): () => void {
    const timer: Timer = { at: this.current + Math.max(0, delayMs), callback, cancelled: false };
    this.timers.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Timers not yet fired nor cancelled. */
  get pending(): number {
    return this.timers.filter((timer) => !timer.cancelled).length;
  }

  /** Moves time forward, firing due timers in order and letting promise callbacks run between them. */
  async advance(milliseconds: number): Promise<void> {
    const target = this.current + milliseconds;
    await flush();
    for (;;) {
      const due = this.timers
        .filter((timer) => !timer.cancelled && timer.at <= target)
        .sort((left, right) => left.at - right.at)[0];
      if (due === undefined) break;
      due.cancelled = true;
      this.current = Math.max(this.current, due.at);
      due.callback();
      await flush();
    }
    this.current = target;
    await flush();
  }
}

/** Lets queued promise callbacks run. */
export async function flush(): Promise<void> {
  for (let round = 0; round < 20; round += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
