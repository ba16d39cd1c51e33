/** A service defined through the admin API. The definition is kept as sent (validated by services/). */
export interface StoredService {
  /** Null for services every tenant sees (created by the master key without a tenant). */
  tenantId: string | null;
  name: string;
  definition: Record<string, unknown>;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
}

/** Admin-defined AI services, one namespace per tenant plus the global one. */
export interface ServiceStore {
  /** The services of these tenants (null = the global ones), or of every tenant; by tenant then name. */
  list(tenantIds: ReadonlyArray<string | null> | 'all'): Promise<StoredService[]>;
  get(tenantId: string | null, name: string): Promise<StoredService | null>;
  /** Rejects when the tenant already has a service of that name. */
  insert(service: StoredService): Promise<void>;
  /** Replaces the definition; null when there is no such service. */
  update(tenantId: string | null, name: string, definition: Record<string, unknown>, updatedAt: number): Promise<StoredService | null>;
  /** False when there was no such service. */
  delete(tenantId: string | null, name: string): Promise<boolean>;
}
