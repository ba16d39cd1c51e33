import type { AdmitResult, LimitCheck, LimitState, LimitStore, SettleResult, Settlement } from '../limit-store.js';
import { windowBucketMs } from '../limit-store.js';

interface WindowCounter {
  kind: 'window';
  /** Bucket index (time / bucketMs) → cost. Insertion order is time order. */
  buckets: Map<number, number>;
  sum: number;
  /** When the window last took a request, for sweeping idle windows. */
  lastUsedAt: number;
}

interface ConcurrencyCounter {
  kind: 'concurrency';
  leases: Map<string, number>;
}

interface LedgerCounter {
  kind: 'ledger';
  spent: number;
  reserved: number;
  reservations: Map<string, { expiresAt: number; amount: number }>;
  /** Epoch ms the period ends; 0 = never. */
  endsAt: number;
}

type Counter = WindowCounter | ConcurrencyCounter | LedgerCounter;

const SWEEP_EVERY = 1024;

/**
 * Limits kept in this process. Single-threaded JavaScript makes each call atomic; with several
 * instances every instance counts on its own (use Redis to share).
 */
export class MemoryLimitStore implements LimitStore {
  private readonly counters = new Map<string, Counter>();
  private calls = 0;

  async admit(requestId: string, checks: readonly LimitCheck[], now: number, leaseMs: number): Promise<AdmitResult> {
    return this.admitNow(requestId, checks, now, leaseMs);
  }

  /** The synchronous core, also used by the Redis store's local fallback. */
  admitNow(requestId: string, checks: readonly LimitCheck[], now: number, leaseMs: number): AdmitResult {
    if (++this.calls % SWEEP_EVERY === 0) this.sweep(now);
    // Counters are looked at, not created: a refused request leaves no state behind (a flood of
    // refused end users or keys must not grow memory), and an admitted one stores what it took.
    const counters = checks.map((check) => this.existingCounter(check, now) ?? create(check));
    const states: LimitState[] = [];
    for (let index = 0; index < checks.length; index++) {
      const check = checks[index];
      const counter = counters[index];
      if (check === undefined || counter === undefined) continue;
      const used = usedOf(counter);
      if (used + check.cost > check.limit) {
        return { admitted: false, index, retryAfterMs: retryAfter(counter, check, now), states: states.concat(stateOf(counter, check, now)) };
      }
      states.push(stateOf(counter, check, now));
    }
    for (let index = 0; index < checks.length; index++) {
      const check = checks[index];
      const counter = counters[index];
      if (check === undefined || counter === undefined) continue;
      take(counter, requestId, check, now, leaseMs);
      if (this.counters.get(check.key) !== counter) this.counters.set(check.key, counter);
      states[index] = stateOf(counter, check, now);
    }
    return { admitted: true, states };
  }

  async settle(requestId: string, settlements: readonly Settlement[], now: number, admittedAt: number): Promise<SettleResult[]> {
    return this.settleNow(requestId, settlements, now, admittedAt);
  }

  settleNow(requestId: string, settlements: readonly Settlement[], now: number, admittedAt: number): SettleResult[] {
    return settlements.map(({ check, actual }) => {
      const counter = this.counterFor(check, now);
      switch (counter.kind) {
        case 'window': {
          const bucket = Math.floor(admittedAt / windowBucketMs(check.span));
          const cost = counter.buckets.get(bucket);
          if (cost !== undefined && actual !== check.cost) {
            const corrected = Math.max(0, cost + actual - check.cost);
            counter.sum += corrected - cost;
            counter.buckets.set(bucket, corrected);
          }
          return { before: 0, after: 0 };
        }
        case 'concurrency':
          counter.leases.delete(requestId);
          return { before: 0, after: 0 };
        case 'ledger': {
          const reservation = counter.reservations.get(requestId);
          if (reservation !== undefined) {
            counter.reservations.delete(requestId);
            counter.reserved -= reservation.amount;
          }
          const before = counter.spent;
          counter.spent += actual;
          return { before, after: counter.spent };
        }
      }
      return { before: 0, after: 0 };
    });
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.counters.clear();
  }

  /** How many counters this store holds (for tests and diagnostics). */
  get counterCount(): number {
    return this.counters.size;
  }

  private existingCounter(check: LimitCheck, now: number): Counter | undefined {
    const counter = this.counters.get(check.key);
    if (counter === undefined || counter.kind !== check.kind || (counter.kind === 'ledger' && counter.endsAt !== 0 && counter.endsAt <= now)) {
      return undefined;
    }
    expire(counter, check, now);
    return counter;
  }

  private counterFor(check: LimitCheck, now: number): Counter {
    let counter = this.counters.get(check.key);
    if (counter === undefined || counter.kind !== check.kind || (counter.kind === 'ledger' && counter.endsAt !== 0 && counter.endsAt <= now)) {
      counter = create(check);
      this.counters.set(check.key, counter);
    }
    expire(counter, check, now);
    return counter;
  }

  /** Drops counters that hold nothing any more, so old periods and idle subjects do not pile up. */
  private sweep(now: number): void {
    for (const [key, counter] of this.counters) {
      if (counter.kind === 'window') {
        if (counter.buckets.size === 0 || counter.lastUsedAt < now - 24 * 3600_000) this.counters.delete(key);
      } else if (counter.kind === 'concurrency') {
        for (const [id, expiresAt] of counter.leases) if (expiresAt <= now) counter.leases.delete(id);
        if (counter.leases.size === 0) this.counters.delete(key);
      } else {
        for (const [id, reservation] of counter.reservations) {
          if (reservation.expiresAt > now) continue;
          counter.reservations.delete(id);
          counter.reserved -= reservation.amount;
        }
        // An ended period, or an idle ledger that holds nothing (its requests cost 0 or were released).
        if ((counter.endsAt !== 0 && counter.endsAt <= now) || (counter.spent === 0 && counter.reservations.size === 0)) {
          this.counters.delete(key);
        }
      }
    }
  }
}

function create(check: LimitCheck): Counter {
  switch (check.kind) {
    case 'window':
      return { kind: 'window', buckets: new Map(), sum: 0, lastUsedAt: 0 };
    case 'concurrency':
      return { kind: 'concurrency', leases: new Map() };
    case 'ledger':
      return { kind: 'ledger', spent: 0, reserved: 0, reservations: new Map(), endsAt: check.span };
  }
}

function expire(counter: Counter, check: LimitCheck, now: number): void {
  if (counter.kind === 'window') {
    // A bucket leaves once it lies wholly before the window: (bucket + 1) × bucketMs ≤ now − span.
    const bucketMs = windowBucketMs(check.span);
    for (const [bucket, cost] of counter.buckets) {
      if ((bucket + 1) * bucketMs > now - check.span) break;
      counter.buckets.delete(bucket);
      counter.sum -= cost;
    }
  } else if (counter.kind === 'concurrency') {
    for (const [id, expiresAt] of counter.leases) if (expiresAt <= now) counter.leases.delete(id);
  } else {
    for (const [id, reservation] of counter.reservations) {
      if (reservation.expiresAt > now) continue;
      counter.reservations.delete(id);
      counter.reserved -= reservation.amount;
    }
  }
}

function usedOf(counter: Counter): number {
  switch (counter.kind) {
    case 'window':
      return counter.sum;
    case 'concurrency':
      return counter.leases.size;
    case 'ledger':
      return counter.spent + counter.reserved;
  }
}

function take(counter: Counter, requestId: string, check: LimitCheck, now: number, leaseMs: number): void {
  switch (counter.kind) {
    case 'window': {
      const bucket = Math.floor(now / windowBucketMs(check.span));
      counter.buckets.set(bucket, (counter.buckets.get(bucket) ?? 0) + check.cost);
      counter.sum += check.cost;
      counter.lastUsedAt = now;
      return;
    }
    case 'concurrency':
      counter.leases.set(requestId, now + leaseMs);
      return;
    case 'ledger':
      counter.reservations.set(requestId, { expiresAt: now + leaseMs, amount: check.cost });
      counter.reserved += check.cost;
  }
}

function stateOf(counter: Counter, check: LimitCheck, now: number): LimitState {
  const used = usedOf(counter);
  if (counter.kind === 'window') {
    const oldest = counter.buckets.keys().next();
    return { used, resetMs: oldest.done === true ? 0 : Math.max(0, leavesAt(oldest.value, check.span) - now) };
  }
  if (counter.kind === 'ledger') return { used, resetMs: check.span === 0 ? 0 : Math.max(0, check.span - now) };
  return { used, resetMs: 0 };
}

/** The time at which a window bucket stops counting. */
function leavesAt(bucket: number, span: number): number {
  return (bucket + 1) * windowBucketMs(span) + span;
}

/** When enough of the window has expired for this request to fit; null when it never can. */
function retryAfter(counter: Counter, check: LimitCheck, now: number): number | null {
  if (check.cost > check.limit) return null;
  switch (counter.kind) {
    case 'window': {
      let remaining = counter.sum + check.cost - check.limit;
      for (const [bucket, cost] of counter.buckets) {
        remaining -= cost;
        if (remaining <= 0) return Math.max(1, leavesAt(bucket, check.span) - now);
      }
      return null;
    }
    case 'concurrency': {
      let earliest = Number.POSITIVE_INFINITY;
      for (const expiresAt of counter.leases.values()) earliest = Math.min(earliest, expiresAt);
      return Number.isFinite(earliest) ? Math.max(1, earliest - now) : null;
    }
    case 'ledger': {
      if (counter.spent + check.cost <= check.limit) {
        // Only open reservations stand in the way: they settle or expire soon.
        let earliest = Number.POSITIVE_INFINITY;
        for (const reservation of counter.reservations.values()) earliest = Math.min(earliest, reservation.expiresAt);
        return Number.isFinite(earliest) ? Math.max(1, Math.min(earliest - now, 1000)) : 1000;
      }
      return check.span === 0 ? null : Math.max(1, check.span - now);
    }
  }
}
