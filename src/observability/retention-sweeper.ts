import type { RequestLogStore } from '../storage/index.js';

export interface RetentionSweeperOptions {
  store: RequestLogStore;
  retentionDays: number;
  /** Rows per DELETE, so a sweep never holds a long lock. */
  batchSize?: number;
  intervalMs?: number;
  clock?: () => number;
  /** With several instances, only the holder of this lease sweeps (see SingletonLease). */
  lease?: { held(): boolean } | undefined;
  logger: { info(object: object, message: string): void; error(object: object, message: string): void };
}

/** Deletes request-log rows (with their attempts and bodies) older than the retention, in batches. */
export class RetentionSweeper {
  private readonly options: RetentionSweeperOptions;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(options: RetentionSweeperOptions) {
    this.options = options;
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs ?? 3_600_000);
    this.timer.unref();
    void this.sweep();
  }

  /** One full sweep; resolves with the number of rows deleted. */
  sweep(): Promise<number> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => 0);
  }

  private async run(): Promise<number> {
    if (this.options.lease !== undefined && !this.options.lease.held()) return 0;
    const batchSize = this.options.batchSize ?? 1000;
    const cutoff = (this.options.clock ?? Date.now)() - this.options.retentionDays * 86_400_000;
    let total = 0;
    try {
      for (;;) {
        const deleted = await this.options.store.deleteBefore(cutoff, batchSize);
        total += deleted;
        if (deleted < batchSize || this.timer === null) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (total > 0) this.options.logger.info({ rows: total, retentionDays: this.options.retentionDays }, 'request log: deleted old rows');
    } catch (error) {
      this.options.logger.error({ err: error }, 'request log: retention sweep failed');
    }
    return total;
  }
}
