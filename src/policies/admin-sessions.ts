import { hash as oneShotHash, randomBytes } from 'node:crypto';
import type { AdminSessionStore } from '../storage/index.js';
import type { KeyService } from './key-service.js';
import { MASTER_PRINCIPAL } from './master-key-authenticator.js';
import type { Authenticator, Principal } from './principal.js';

export interface AdminSessionsOptions {
  store: AdminSessionStore;
  authenticator: Authenticator;
  keys: KeyService;
  clock: () => number;
  /** A session unused this long is over (default 1 h). */
  idleMs?: number;
  /** A session is over this long after sign-in, however busy (default 12 h). */
  absoluteMs?: number;
  /** Sign-in attempts one client address may make per minute (default 10). */
  attemptsPerMinute?: number;
}

export interface SignedIn {
  /** The cookie value: 32 random bytes. Only its SHA-256 is stored. */
  sessionId: string;
  csrfToken: string;
  principal: Principal;
}

export type SignInResult = SignedIn | 'refused' | 'rate_limited';

const MINUTE_MS = 60_000;

/**
 * Dashboard sign-in: a master or tenant-admin key is exchanged for an opaque session id, so the
 * browser never holds a key (a cookie that carried one would be a reusable credential). Every use
 * re-reads the key, so revoking it, or demoting it to a client key, ends its sessions at once.
 */
export class AdminSessions {
  readonly idleMs: number;
  readonly absoluteMs: number;
  private readonly options: AdminSessionsOptions;
  private readonly attemptsPerMinute: number;
  /** Sign-in attempts per client address in the current minute (this instance). */
  private attempts = new Map<string, number>();
  private windowStart = Number.NEGATIVE_INFINITY;

  constructor(options: AdminSessionsOptions) {
    this.options = options;
    this.idleMs = options.idleMs ?? 3_600_000;
    this.absoluteMs = options.absoluteMs ?? 12 * 3_600_000;
    this.attemptsPerMinute = options.attemptsPerMinute ?? 10;
  }

  async signIn(secret: string, clientAddress: string): Promise<SignInResult> {
    const now = this.options.clock();
    if (!this.admitAttempt(clientAddress, now)) return 'rate_limited';
    const principal = await this.options.authenticator.authenticate(secret);
    // Only keys the gateway can re-check on every use: the master key and virtual keys. A JWT
    // cannot be looked up again, so it would outlive its own revocation inside a session.
    if (principal === null) return 'refused';
    const isMaster = principal === MASTER_PRINCIPAL;
    if (!isMaster && (principal.role !== 'tenant_admin' || principal.keyId === null)) return 'refused';
    const sessionId = randomBytes(32).toString('base64url');
    await this.options.store.sweep(now, this.idleMs);
    await this.options.store.create({
      idHash: hashSessionId(sessionId),
      keyId: isMaster ? null : principal.keyId,
      role: isMaster ? 'admin' : 'tenant_admin',
      tenantId: isMaster ? null : principal.tenantId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.absoluteMs,
    });
    return { sessionId, csrfToken: csrfTokenOf(sessionId), principal };
  }

  /** The principal behind a session cookie, or null when the session or its key is no longer valid. */
  async resolve(sessionId: string): Promise<{ principal: Principal; csrfToken: string } | null> {
    const idHash = hashSessionId(sessionId);
    const record = await this.options.store.use(idHash, this.options.clock(), this.idleMs);
    if (record === null) return null;
    if (record.keyId === null) return record.role === 'admin' ? { principal: MASTER_PRINCIPAL, csrfToken: csrfTokenOf(sessionId) } : null;
    const principal = await this.options.keys.activePrincipal(record.keyId);
    if (principal === null || principal.role !== 'tenant_admin' || principal.tenantId !== record.tenantId) {
      await this.options.store.delete(idHash);
      return null;
    }
    return { principal, csrfToken: csrfTokenOf(sessionId) };
  }

  async signOut(sessionId: string): Promise<void> {
    await this.options.store.delete(hashSessionId(sessionId));
  }

  /** A fixed one-minute window per address; the whole map is dropped each minute, so it stays small. */
  private admitAttempt(clientAddress: string, now: number): boolean {
    if (now - this.windowStart >= MINUTE_MS) {
      this.windowStart = now;
      this.attempts = new Map();
    }
    const count = (this.attempts.get(clientAddress) ?? 0) + 1;
    this.attempts.set(clientAddress, count);
    return count <= this.attemptsPerMinute;
  }
}

function hashSessionId(sessionId: string): string {
  return oneShotHash('sha256', sessionId, 'hex');
}

/**
 * The CSRF token is derived from the session id (a one-way hash under its own label), so it needs
 * no storage, differs per session, and knowing it does not reveal the cookie.
 */
function csrfTokenOf(sessionId: string): string {
  return oneShotHash('sha256', `sluice-csrf:${sessionId}`, 'base64url');
}
