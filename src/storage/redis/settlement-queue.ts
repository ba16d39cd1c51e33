/** One settle-script call that has not reached Redis yet. */
export interface QueuedSettlement {
  keys: string[];
  args: Array<string | number>;
  /** Local spend this entry carries per counter key (for ledgers), and the fault it was spent in. */
  spend: ReadonlyArray<{ key: string; amount: number }>;
  epoch: number | null;
}

export interface SettlementQueueOptions {
  /** Runs one entry against Redis; rejects when Redis did not take it. */
  run: (entry: QueuedSettlement) => Promise<void>;
  /** Entries kept at most; past it the oldest is dropped and reported. */
  maxEntries: number;
  onDropped: (entry: QueuedSettlement) => void;
  /** Retries start this soon after a failure and back off to `maxDelayMs`. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Settlements and releases that Redis did not take, retried in order until it does. Each entry
 * is idempotent in Redis (the settle script applies a request's settlement once), so an entry that
 * Redis ran although the client timed out is harmless to send again.
 */
export class SettlementQueue {
  private readonly options: SettlementQueueOptions;
  private readonly entries: QueuedSettlement[] = [];
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private failures = 0;
  private closed = false;

  constructor(options: SettlementQueueOptions) {
    this.options = options;
  }

  get size(): number {
    return this.entries.length;
  }

  push(entry: QueuedSettlement): void {
    this.entries.push(entry);
    if (this.entries.length > this.options.maxEntries) {
      const dropped = this.entries.shift();
      if (dropped !== undefined) this.options.onDropped(dropped);
    }
    this.schedule();
  }

  /** Local spend queued for `key` from faults other than `currentEpoch`. */
  pendingSpend(key: string, currentEpoch: number | null): number {
    let total = 0;
    for (const entry of this.entries) {
      if (entry.epoch === currentEpoch && currentEpoch !== null) continue;
      for (const spend of entry.spend) if (spend.key === key) total += spend.amount;
    }
    return total;
  }

  /** Sends every entry now, in order; stops at the first failure (resolves either way). */
  drain(): Promise<void> {
    this.draining ??= this.drainAll().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  /** Last chance before the process ends: one drain, then no more retries. */
  async close(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.drain();
    this.closed = true;
  }

  private async drainAll(): Promise<void> {
    while (this.entries.length > 0) {
      const entry = this.entries[0];
      if (entry === undefined) break;
      try {
        await this.options.run(entry);
      } catch {
        this.failures += 1;
        this.schedule();
        return;
      }
      this.failures = 0;
      if (this.entries[0] === entry) this.entries.shift();
    }
  }

  private schedule(): void {
    if (this.closed || this.timer !== null || this.entries.length === 0) return;
    const delay = Math.min(this.options.maxDelayMs ?? 1000, (this.options.minDelayMs ?? 100) * 2 ** Math.min(this.failures, 10));
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.drain();
    }, delay);
    this.timer.unref();
  }
}
