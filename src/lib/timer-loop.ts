import type { Clock } from './clock.js';

/**
 * Runs `run` again and again on a clock: a setTimeout loop, not an interval, so runs never
 * overlap. `run` answers how long to wait before the next run; `wake()` brings it forward.
 */
export class TimerLoop {
  private cancelTimer: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private stopped = true;

  constructor(
    private readonly clock: Clock,
    private readonly run: () => Promise<number>,
    private readonly options: { retryDelayMs: number; onError?: ((error: unknown) => void) | undefined },
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs now (or right after the run in progress) instead of at the next tick. */
  wake(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.rerun = true;
      return;
    }
    this.schedule(0);
  }

  /** Resolves when the run in progress (if any) has finished: tests await it after moving a manual clock. */
  async whenIdle(): Promise<void> {
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.clock.setTimer(() => {
      this.cancelTimer = null;
      this.running = this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    let next = this.options.retryDelayMs;
    try {
      do {
        this.rerun = false;
        next = await this.run();
      } while (this.rerun && !this.stopped);
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.running = null;
      if (!this.stopped) this.schedule(next);
    }
  }
}
