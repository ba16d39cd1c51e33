/** One dashboard session as stored: never the session id itself, only its SHA-256. */
export interface AdminSessionRecord {
  /** Hex SHA-256 of the session id: a leaked table or Redis dump cannot be replayed as a cookie. */
  idHash: string;
  /** The virtual key that signed in; null for the master key. */
  keyId: string | null;
  role: 'admin' | 'tenant_admin';
  tenantId: string | null;
  createdAt: number;
  lastSeenAt: number;
  /** Absolute expiry (epoch ms): no amount of activity keeps a session past it. */
  expiresAt: number;
}

/**
 * Dashboard sessions, shared by every instance (the database, or Redis when the fleet has one), so
 * a sign-in on one instance works on all and a sign-out on one ends it everywhere.
 */
export interface AdminSessionStore {
  create(record: AdminSessionRecord): Promise<void>;
  /**
   * The live session with its last-seen time moved to `now`; null when it is unknown, was idle for
   * `idleMs` or more, or is past its absolute expiry (such a session is deleted).
   */
  use(idHash: string, now: number, idleMs: number): Promise<AdminSessionRecord | null>;
  delete(idHash: string): Promise<void>;
  /** Deletes sessions that can no longer be used (Redis expires its own keys). */
  sweep(now: number, idleMs: number): Promise<void>;
}

/** A session is usable while neither its idle nor its absolute expiry has passed. */
export function isSessionLive(record: AdminSessionRecord, now: number, idleMs: number): boolean {
  return now < record.expiresAt && now - record.lastSeenAt < idleMs;
}
