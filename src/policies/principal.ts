/** Who is calling, as established by authentication. */
export interface Principal {
  /** `admin` may use every model and the whole admin API. */
  role: 'admin' | 'tenant_admin' | 'client';
  /** The virtual key's id; null for the master key. */
  keyId: string | null;
  tenantId: string | null;
  /** A display name for logs: the key's name, or "master". */
  label: string;
}

export interface Authenticator {
  /** Resolves the presented secret to a principal, or null when it is unknown, revoked or expired. */
  authenticate(secret: string): Promise<Principal | null>;
}
