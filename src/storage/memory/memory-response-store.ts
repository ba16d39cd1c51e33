import type { ResponseStore, StoredResponse } from '../response-store.js';

/** Responses in this process only: for tests and single-instance setups without a database. */
export class MemoryResponseStore implements ResponseStore {
  private readonly records = new Map<string, StoredResponse>();

  async put(record: StoredResponse): Promise<void> {
    if (this.records.has(record.id)) throw new Error(`response ${record.id} already exists`);
    // A copy, so later changes by the caller cannot reach the stored record.
    this.records.set(record.id, structuredClone(record));
  }

  async get(id: string, owner: string, now: number): Promise<StoredResponse | null> {
    const record = this.records.get(id);
    if (record === undefined || record.owner !== owner || (record.expiresAt !== null && record.expiresAt <= now)) return null;
    return structuredClone(record);
  }

  async delete(id: string, owner: string): Promise<boolean> {
    const record = this.records.get(id);
    if (record === undefined || record.owner !== owner) return false;
    this.records.delete(id);
    return true;
  }

  async deleteExpired(now: number): Promise<number> {
    let count = 0;
    for (const [id, record] of this.records) {
      if (record.expiresAt !== null && record.expiresAt <= now) {
        this.records.delete(id);
        count++;
      }
    }
    return count;
  }
}
