import type { ServiceStore, StoredService } from '../service-store.js';

/** Services in process memory: tests, and gateways without a database. */
export class MemoryServiceStore implements ServiceStore {
  private readonly services = new Map<string, StoredService>();

  async list(tenantIds: ReadonlyArray<string | null> | 'all'): Promise<StoredService[]> {
    return [...this.services.values()]
      .filter((service) => tenantIds === 'all' || tenantIds.includes(service.tenantId))
      .sort((left, right) => (left.tenantId ?? '').localeCompare(right.tenantId ?? '') || left.name.localeCompare(right.name))
      .map(copy);
  }

  async get(tenantId: string | null, name: string): Promise<StoredService | null> {
    const found = this.services.get(keyOf(tenantId, name));
    return found === undefined ? null : copy(found);
  }

  async insert(service: StoredService): Promise<void> {
    const key = keyOf(service.tenantId, service.name);
    if (this.services.has(key)) throw new Error(`service ${service.name} already exists`);
    this.services.set(key, copy(service));
  }

  async update(tenantId: string | null, name: string, definition: Record<string, unknown>, updatedAt: number): Promise<StoredService | null> {
    const found = this.services.get(keyOf(tenantId, name));
    if (found === undefined) return null;
    const updated = { ...found, definition: structuredClone(definition), updatedAt };
    this.services.set(keyOf(tenantId, name), updated);
    return copy(updated);
  }

  async delete(tenantId: string | null, name: string): Promise<boolean> {
    return this.services.delete(keyOf(tenantId, name));
  }
}

function keyOf(tenantId: string | null, name: string): string {
  return `${tenantId ?? ''}\u0000${name}`;
}

function copy(service: StoredService): StoredService {
  return { ...service, definition: structuredClone(service.definition) };
}
