import type { AlertStateRow, AlertStateStore } from '../alert-state-store.js';

/** Alert state of a single process (tests, and the alert engine when no database is shared). */
export class MemoryAlertStateStore implements AlertStateStore {
  private readonly rows = new Map<string, AlertStateRow>();

  list(): Promise<AlertStateRow[]> {
    return Promise.resolve([...this.rows.values()].map((row) => ({ ...row })));
  }

  put(row: AlertStateRow): Promise<void> {
    this.rows.set(`${row.rule}\u0000${row.scopeKey}`, { ...row });
    return Promise.resolve();
  }

  remove(rule: string, scopeKey: string): Promise<void> {
    this.rows.delete(`${rule}\u0000${scopeKey}`);
    return Promise.resolve();
  }
}
