/**
 * Named leases for work exactly one instance should do at a time (retention, alerts, rollup
 * compaction, the job poller). A lease is held until `now + ttlMs` and renewed by acquiring it
 * again; a holder that dies simply stops renewing, and the lease is free once its time is up.
 */
export interface LeaseStore {
  /** Takes the lease when it is free or expired, or renews it when `owner` holds it. True when `owner` holds it now. */
  acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up at once when `owner` holds it (a clean shutdown hands over without waiting). */
  release(name: string, owner: string): Promise<void>;
}
