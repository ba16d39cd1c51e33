/** Limits stored on a key (camelCase, every field optional); the policies layer merges them over the tier. */
export interface StoredLimits {
  rpm?: number | undefined;
  tpm?: number | undefined;
  maxConcurrent?: number | undefined;
  requestsPerDay?: number | undefined;
  requestsPerMonth?: number | undefined;
  tokensPerDay?: number | undefined;
  tokensPerMonth?: number | undefined;
  budgetUsd?: number | undefined;
  budgetPeriod?: 'day' | 'month' | 'total' | undefined;
  maxInputTokens?: number | undefined;
  maxInputCharacters?: number | undefined;
}

/** One virtual key as stored: never the secret, only its SHA-256. */
export interface VirtualKeyRecord {
  id: string;
  /** Hex SHA-256 of the secret. */
  hash: string;
  /** The secret's last four characters, for display as `sk-sluice-…abcd`. */
  lastFour: string;
  name: string;
  tenantId: string | null;
  userId: string | null;
  role: 'client' | 'tenant_admin';
  tier: string | null;
  /** Public model names; null = every model. */
  allowedModels: string[] | null;
  /** Service names; null = every service. */
  allowedServices: string[] | null;
  limits: StoredLimits;
  metadata: Record<string, string>;
  enabled: boolean;
  /** Epoch ms; null = never expires. */
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export type VirtualKeyPatch = Partial<Pick<VirtualKeyRecord,
  'name' | 'tier' | 'allowedModels' | 'allowedServices' | 'limits' | 'metadata' | 'enabled' | 'expiresAt' | 'role' | 'userId'
>>;

export interface KeyListQuery {
  /** Only this tenant's keys (tenant admins); undefined = all. */
  tenantId?: string | undefined;
  limit: number;
  /** The id after which to continue (keys are listed by id). */
  cursor?: string | undefined;
}

export interface KeyStore {
  insert(record: VirtualKeyRecord): Promise<void>;
  get(id: string): Promise<VirtualKeyRecord | null>;
  findByHash(hash: string): Promise<VirtualKeyRecord | null>;
  list(query: KeyListQuery): Promise<{ records: VirtualKeyRecord[]; nextCursor: string | null }>;
  /** Applies the patch; null when no such key. */
  update(id: string, patch: VirtualKeyPatch & { updatedAt: number; revokedAt?: number | null }): Promise<VirtualKeyRecord | null>;
  touch(id: string, at: number): Promise<void>;
}
