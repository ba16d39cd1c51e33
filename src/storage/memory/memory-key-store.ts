import type { KeyListQuery, KeyStore, VirtualKeyPatch, VirtualKeyRecord } from '../key-store.js';

/**
 * Keys kept in this process: for development and tests. They are gone when the process ends and
 * are not shared between instances; use the database-backed store for anything else.
 */
export class MemoryKeyStore implements KeyStore {
  private readonly byId = new Map<string, VirtualKeyRecord>();
  private readonly idByHash = new Map<string, string>();

  async insert(record: VirtualKeyRecord): Promise<void> {
    if (this.byId.has(record.id) || this.idByHash.has(record.hash)) throw new Error(`key ${record.id} already exists`);
    this.byId.set(record.id, structuredClone(record));
    this.idByHash.set(record.hash, record.id);
  }

  async get(id: string): Promise<VirtualKeyRecord | null> {
    const record = this.byId.get(id);
    return record === undefined ? null : structuredClone(record);
  }

  async findByHash(hash: string): Promise<VirtualKeyRecord | null> {
    const id = this.idByHash.get(hash);
    return id === undefined ? null : this.get(id);
  }

  async list(query: KeyListQuery): Promise<{ records: VirtualKeyRecord[]; nextCursor: string | null }> {
    const ids = [...this.byId.keys()].sort();
    const records: VirtualKeyRecord[] = [];
    for (const id of ids) {
      if (query.cursor !== undefined && id <= query.cursor) continue;
      const record = this.byId.get(id);
      if (record === undefined || (query.tenantId !== undefined && record.tenantId !== query.tenantId)) continue;
      if (records.length === query.limit) {
        const last = records[records.length - 1];
        return { records, nextCursor: last === undefined ? null : last.id };
      }
      records.push(structuredClone(record));
    }
    return { records, nextCursor: null };
  }

  async update(id: string, patch: VirtualKeyPatch & { updatedAt: number; revokedAt?: number | null }): Promise<VirtualKeyRecord | null> {
    const record = this.byId.get(id);
    if (record === undefined) return null;
    const updated: VirtualKeyRecord = { ...record, ...structuredClone(patch) };
    this.byId.set(id, updated);
    return structuredClone(updated);
  }

  async touch(id: string, at: number): Promise<void> {
    const record = this.byId.get(id);
    if (record !== undefined) record.lastUsedAt = at;
  }
}
