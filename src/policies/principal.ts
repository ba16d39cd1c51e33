import type { LimitSet } from './limit-set.js';

/** Who is calling, as established by authentication. */
export interface Principal {
  /** `admin` may use every model and the whole admin API; `tenant_admin` manages its own tenant. */
  role: 'admin' | 'tenant_admin' | 'client';
  /** The virtual key's id; null for the master key and JWTs. */
  keyId: string | null;
  tenantId: string | null;
  /** A display name for logs: the key's name, the JWT subject, or "master". */
  label: string;
  /** The user the key or token belongs to (not the end user of a request). */
  userId: string | null;
  tier: string | null;
  /** Public model names this caller may use; null = all. */
  allowedModels: readonly string[] | null;
  /** AI service names this caller may run; null (or absent) = all. */
  allowedServices?: readonly string[] | null | undefined;
  /** The caller's own limits (its tier merged with its overrides). */
  limits: LimitSet;
  /** The counter namespace of those limits (`key:<id>`, `jwt:<subject>`); null = unlimited. */
  limitSubject: string | null;
  /**
   * The namespace of the end users this caller names (`user`, `x-sluice-user`): its key, an explicit
   * app id, or its token subject. End-user ids are the caller's claim, so one caller's "alice" is
   * never another's. Absent = the limit subject.
   */
  endUserScope?: string | undefined;
  /** When the key or token stops working (epoch ms); null or absent = never. */
  expiresAt?: number | null | undefined;
  /** Extra rights beyond the role, e.g. `experiments:pin` (CONTRACT §3.4). */
  permissions?: readonly string[] | undefined;
}

export interface Authenticator {
  /** Resolves the presented secret to a principal, or null when it is unknown, revoked or expired. */
  authenticate(secret: string): Promise<Principal | null>;
}
