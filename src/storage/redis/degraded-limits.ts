import { GatewayError } from '../../core/index.js';
import type { AdmitResult, LimitCheck, LimitState, SettleResult, Settlement } from '../limit-store.js';
import { MemoryLimitStore } from '../memory/memory-limit-store.js';

/** What this instance last read of one shared counter. */
interface Snapshot {
  /** window: sum in the window; concurrency: in flight; ledger: spent + reserved. */
  used: number;
  at: number;
}

/** A Redis fault: the local counters that decide until Redis answers again. */
interface Epoch {
  id: number;
  startedAt: number;
  store: MemoryLimitStore;
}

/** Counters remembered at most; the least recently used are forgotten first. */
const MAX_SNAPSHOTS = 100_000;

/**
 * The `fail_open` side of the Redis limit store. While Redis answers it remembers, per counter,
 * what the last admission read (spend, reservations, window counts); when Redis fails it decides
 * with local counters that start from that state and hold only this instance's share of what was
 * left, split across the instances known to be live. So however many instances fall back at
 * once, together they admit no more than what remained (docs/reliability.md gives the bound).
 *
 * Per counter, with N live instances and `used` the last shared value read:
 * - ledger (budgets, quotas): `floor((limit − used − pending) / N)` for the whole fault, where
 *   `pending` is local spend of an earlier fault still queued for Redis;
 * - window (rpm, tpm): `floor(limit / N)`, minus `ceil(used / N)` until one window has passed since
 *   the fault began (the shared window's requests still count during that time);
 * - concurrency: `floor(limit / N)`.
 * A counter this instance never read is refused with 503: nothing is known of what is left.
 */
export class DegradedLimits {
  private readonly snapshots = new Map<string, Snapshot>();
  private epoch: Epoch | null = null;
  private live = 1;
  private epochs = 0;

  /** Remembers what an answer from Redis said of each counter it reached. */
  record(checks: readonly LimitCheck[], states: readonly LimitState[], now: number): void {
    for (let index = 0; index < states.length; index++) {
      const check = checks[index];
      const state = states[index];
      if (check === undefined || state === undefined) continue;
      this.snapshots.delete(check.key);
      this.snapshots.set(check.key, { used: state.used, at: now });
    }
    if (this.snapshots.size > MAX_SNAPSHOTS) {
      const oldest = this.snapshots.keys().next();
      if (oldest.done !== true) this.snapshots.delete(oldest.value);
    }
  }

  /** Instances seen live through Redis (this one included). */
  setLiveInstances(count: number): void {
    this.live = Math.max(1, Math.floor(count));
  }

  get liveInstances(): number {
    return this.live;
  }

  /** Whether local counters are deciding now. */
  get active(): boolean {
    return this.epoch !== null;
  }

  /** The current fault's number (local spend of this fault is in its own counters), or null. */
  get epochId(): number | null {
    return this.epoch?.id ?? null;
  }

  /** Redis answered again: the shared counters decide; local spend reaches them through the queue. */
  recovered(): void {
    this.epoch = null;
  }

  /**
   * Decides locally. `pending(key)` is local spend of earlier faults not yet applied in Redis
   * (queued pushes), subtracted from a ledger's share.
   */
  admit(requestId: string, checks: readonly LimitCheck[], now: number, leaseMs: number, pending: (key: string) => number): AdmitResult {
    const startedAt = this.epoch?.startedAt ?? now;
    const local: LimitCheck[] = [];
    for (const check of checks) {
      const snapshot = this.snapshots.get(check.key);
      if (snapshot === undefined) {
        throw new GatewayError('service_unavailable',
          'The rate-limit store is unavailable and this instance has no recent state for this limit; try again shortly.',
          { retryAfterMs: 1000, retryable: true });
      }
      local.push({ ...check, limit: this.shareOf(check, snapshot, now, startedAt, pending(check.key)) });
    }
    this.epoch ??= { id: ++this.epochs, startedAt: now, store: new MemoryLimitStore() };
    const result = this.epoch.store.admitNow(requestId, local, now, leaseMs);
    return result;
  }

  /** Settles a request admitted locally in the current fault (a no-op once Redis is back). */
  settle(requestId: string, settlements: readonly Settlement[], now: number, admittedAt: number): SettleResult[] {
    if (this.epoch === null) return settlements.map(() => ({ before: 0, after: 0 }));
    return this.epoch.store.settleNow(requestId, settlements.map(({ check, actual }) => ({ check: { ...check }, actual })), now, admittedAt);
  }

  private shareOf(check: LimitCheck, snapshot: Snapshot, now: number, startedAt: number, pending: number): number {
    const instances = this.live;
    switch (check.kind) {
      case 'ledger':
        return Math.max(0, Math.floor((check.limit - snapshot.used - pending) / instances));
      case 'concurrency':
        return Math.floor(check.limit / instances);
      case 'window': {
        const base = Math.floor(check.limit / instances);
        // The shared window's requests leave it at the latest one window after the fault began.
        return now < startedAt + check.span ? Math.max(0, base - Math.ceil(snapshot.used / instances)) : base;
      }
    }
  }
}
