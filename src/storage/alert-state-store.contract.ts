import { describe, expect, it } from 'vitest';
import type { AlertStateRow, AlertStateStore } from './alert-state-store.js';

/** The behaviour every AlertStateStore must show; run by the memory and SQL implementations. */
export function describeAlertStateStoreContract(name: string, open: () => Promise<AlertStateStore>): void {
  let counter = 0;
  const unique = () => `rule-${process.pid}-${++counter}-${Math.random().toString(36).slice(2)}`;
  const t0 = 1_700_000_000_000;
  const pending = (rule: string, scopeKey: string): AlertStateRow => ({
    rule, scopeKey, state: 'pending', value: 0.75, episodeStart: t0, since: t0, firingSince: null, notifiedAt: null, repeats: 0,
  });

  describe(`AlertStateStore contract: ${name}`, () => {
    it('stores a pending alert, replaces it when it fires, and forgets it when removed', async () => {
      const store = await open();
      const rule = unique();
      await store.put(pending(rule, 'smart'));
      expect((await store.list()).filter((row) => row.rule === rule)).toEqual([pending(rule, 'smart')]);
      const firing: AlertStateRow = { ...pending(rule, 'smart'), state: 'firing', value: null, since: t0 + 60_000, firingSince: t0 + 60_000, notifiedAt: t0 + 60_000, repeats: 2 };
      await store.put(firing);
      expect((await store.list()).filter((row) => row.rule === rule)).toEqual([firing]);
      await store.remove(rule, 'smart');
      expect((await store.list()).filter((row) => row.rule === rule)).toEqual([]);
    });

    it('keeps one row per rule and scope', async () => {
      const store = await open();
      const rule = unique();
      await store.put(pending(rule, 'a'));
      await store.put(pending(rule, 'b'));
      await store.remove(rule, 'a');
      expect((await store.list()).filter((row) => row.rule === rule).map((row) => row.scopeKey)).toEqual(['b']);
    });
  });
}
