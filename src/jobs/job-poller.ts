import { TimerLoop } from '../lib/index.js';
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
  private readonly loop: TimerLoop;

  constructor(private readonly options: JobPollerOptions) {
    this.loop = new TimerLoop(options.clock, async () => {
      await this.runOnce();
      return this.untilNextDue();
    }, { retryDelayMs: options.idlePollMs, onError: options.onError });
  }

  start(): void {
    this.loop.start();
  }

  /** Looks for due jobs now (one was just created with an early poll time). */
  wake(): void {
    this.loop.wake();
  }

  /** Resolves when the run in progress (if any) has finished. */
  whenIdle(): Promise<void> {
    return this.loop.whenIdle();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Claims and advances every due job once; resolves with the jobs advanced. */
  async runOnce(): Promise<number> {
    const { store, clock, owner, leaseMs, batchSize } = this.options;
    let advanced = 0;
    for (;;) {
      const batch = await store.claimDue(owner, clock.now(), leaseMs, batchSize);
      await this.advanceAll(batch);
      advanced += batch.length;
      if (batch.length < batchSize) return advanced;
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

  /** The wait until the soonest job this scope can see is due (bounded by idlePollMs). */
  private async untilNextDue(): Promise<number> {
    const { store, clock, idlePollMs } = this.options;
    const soonest = await store.nextDueAt(clock.now());
    if (soonest === null) return idlePollMs;
    return Math.max(0, Math.min(idlePollMs, soonest - clock.now()));
  }
}
