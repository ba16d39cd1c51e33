import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock } from '../lib/index.js';
import type { Clock } from '../lib/index.js';
import type { LeaseStore } from './lease-store.js';

export interface SingletonLeaseOptions {
  store: LeaseStore;
  /** One name per kind of work: `retention-sweeper`, `alert-evaluator`, `rollup-compaction`, `job-poller`. */
  name: string;
  /** Who this instance is; unique per process unless given. */
  owner?: string;
  /** How long a lease lasts without renewal: a dead holder's work moves elsewhere within ttl + renew. */
  ttlMs?: number;
  renewMs?: number;
  clock?: Clock;
  /** Called when this instance gains or loses the lease. */
  onChange?: (held: boolean) => void;
  /** A store error: the lease counts as lost until the next renewal works. */
  onError?: (error: unknown) => void;
}

/**
 * "Exactly one instance does this now": keeps trying to take a named lease and renews it while
 * held. Work asks `held()` before each run. The lease counts as held only until its time since the
 * last successful renewal runs out, measured from before the call, so a slow or failed renewal
 * never lets two instances believe they hold it at once (given clocks that agree).
 */
export class SingletonLease {
  readonly name: string;
  readonly owner: string;
  private readonly options: SingletonLeaseOptions;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private heldUntil = Number.NEGATIVE_INFINITY;
  private wasHeld = false;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;

  constructor(options: SingletonLeaseOptions) {
    this.options = options;
    this.name = options.name;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomUUID()}`;
    this.clock = options.clock ?? systemClock;
    this.ttlMs = options.ttlMs ?? 10_000;
    this.renewMs = options.renewMs ?? Math.floor(this.ttlMs / 3);
  }

  held(): boolean {
    return this.clock.now() < this.heldUntil;
  }

  /** Tries now, then every `renewMs`. */
  start(): void {
    this.stopped = false;
    const loop = (): void => {
      void this.tick().finally(() => {
        if (!this.stopped) this.cancelTimer = this.clock.setTimer(loop, this.renewMs);
      });
    };
    loop();
  }

  /** One attempt to take or renew the lease; resolves with whether this instance holds it. */
  async tick(): Promise<boolean> {
    const startedAt = this.clock.now();
    try {
      if (await this.options.store.acquire(this.name, this.owner, this.ttlMs, startedAt)) this.heldUntil = startedAt + this.ttlMs;
      else this.heldUntil = Number.NEGATIVE_INFINITY;
    } catch (error) {
      this.options.onError?.(error);
    }
    this.announce();
    return this.held();
  }

  /** Stops renewing and hands the lease over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.heldUntil === Number.NEGATIVE_INFINITY) return;
    this.heldUntil = Number.NEGATIVE_INFINITY;
    await this.options.store.release(this.name, this.owner).catch((error: unknown) => this.options.onError?.(error));
    this.announce();
  }

  private announce(): void {
    const held = this.held();
    if (held === this.wasHeld) return;
    this.wasHeld = held;
    this.options.onChange?.(held);
  }
}
