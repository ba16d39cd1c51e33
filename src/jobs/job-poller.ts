import type { Clock } from '../lib/index.js';
import type { JobRecord, JobStore } from '../storage/index.js';
import type { JobRunner } from './job-runner.js';

export interface JobPollerOptions {
  store: JobStore;
  runner: JobRunner;
  clock: Clock;
  owner: string;
  leaseMs: number;
  batchSize: number;
  /** Upstream calls in flight per provider. */
  concurrencyPerProvider: number;
  /** Longest wait between two looks at the store (a job created elsewhere becomes due meanwhile). */
  idlePollMs: number;
  onError?: (error: unknown) => void;
}

/**
 * One per instance: a setTimeout loop (not an interval, so runs never overlap) that claims due
 * jobs with a lease, advances each under a per-provider concurrency cap, then sleeps until the
 * next job it knows of is due, or `idlePollMs`. Jobs live in the store, so a restarted instance
 * (or another one, once the lease lapses) carries on where the last one stopped.
 */
export class JobPoller {
  private cancelTimer: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private stopped = true;

  constructor(private readonly options: JobPollerOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Looks for due jobs now (one was just created with an early poll time). */
  wake(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.rerun = true;
      return;
    }
    this.schedule(0);
  }

  /** Resolves when the run in progress (if any) has finished. */
  async whenIdle(): Promise<void> {
    await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    await this.running;
  }

  /** Claims and advances every due job once; resolves with the jobs advanced. */
  async runOnce(): Promise<number> {
    const { store, clock, owner, leaseMs, batchSize } = this.options;
    let advanced = 0;
    for (;;) {
      const batch = await store.claimDue(owner, clock.now(), leaseMs, batchSize);
      await this.advanceAll(batch);
      advanced += batch.length;
      if (batch.length < batchSize || this.stopped) return advanced;
    }
  }

  private async advanceAll(jobs: readonly JobRecord[]): Promise<void> {
    const byProvider = new Map<string, JobRecord[]>();
    for (const job of jobs) byProvider.set(job.provider, [...(byProvider.get(job.provider) ?? []), job]);
    await Promise.all([...byProvider.values()].map(async (queue) => {
      const workers = Array.from({ length: Math.min(this.options.concurrencyPerProvider, queue.length) }, async () => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
          try {
            await this.options.runner.advance(job);
          } catch (error) {
            // The lease lapses and the job is picked up again; one bad job must not stop the rest.
            this.options.onError?.(error);
          }
        }
      });
      await Promise.all(workers);
    }));
  }

  private schedule(delayMs: number): void {
    this.cancelTimer?.();
    this.cancelTimer = this.options.clock.setTimer(() => {
      this.cancelTimer = null;
      this.running = this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    let next = this.options.idlePollMs;
    try {
      do {
        this.rerun = false;
        await this.runOnce();
      } while (this.rerun && !this.stopped);
      next = await this.untilNextDue();
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.running = null;
      if (!this.stopped) this.schedule(next);
    }
  }

  /** The wait until the soonest job this scope can see is due (bounded by idlePollMs). */
  private async untilNextDue(): Promise<number> {
    const { store, clock, idlePollMs } = this.options;
    const soonest = await store.nextDueAt(clock.now());
    if (soonest === null) return idlePollMs;
    return Math.max(0, Math.min(idlePollMs, soonest - clock.now()));
  }
}
