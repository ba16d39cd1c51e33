import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceStore, StoredService } from './service-store.js';

/** The behaviour every ServiceStore must show; run by memory, SQLite and Postgres. */
export function describeServiceStoreContract(name: string, open: () => Promise<{ store: ServiceStore; cleanup: () => Promise<void> }>): void {
  describe(`ServiceStore contract: ${name}`, () => {
    let store: ServiceStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await open());
    });
    afterAll(async () => {
      await cleanup();
    });

    const service = (tenantId: string | null, serviceName: string, overrides: Partial<StoredService> = {}): StoredService => ({
      tenantId,
      name: serviceName,
      definition: { name: serviceName, type: 'json', output_schema: { type: 'object', required: ['total'] }, max_reasks: 2, nested: { list: [1, 'a', null] } },
      createdAt: 1_700_000_000_000,
      updatedAt: 1_700_000_000_000,
      ...overrides,
    });

    it('stores a service per tenant and gives it back intact; a name repeats only across tenants', async () => {
      await store.insert(service('acme', 'extract_invoice'));
      await store.insert(service(null, 'extract_invoice'));
      await store.insert(service('globex', 'extract_invoice'));
      expect(await store.get('acme', 'extract_invoice')).toEqual(service('acme', 'extract_invoice'));
      expect(await store.get(null, 'extract_invoice')).toEqual(service(null, 'extract_invoice'));
      expect(await store.get('acme', 'nope')).toBeNull();
      expect(await store.get('initech', 'extract_invoice')).toBeNull();
      await expect(store.insert(service('acme', 'extract_invoice'))).rejects.toThrow();
    });

    it('lists the services of the tenants asked for, global ones included only when asked', async () => {
      await store.insert(service('acme', 'classify'));
      const acme = await store.list(['acme']);
      expect(acme.map((item) => item.name)).toEqual(['classify', 'extract_invoice']);
      const visible = await store.list([null, 'acme']);
      expect(visible.map((item) => `${item.tenantId ?? '*'}/${item.name}`)).toEqual(['*/extract_invoice', 'acme/classify', 'acme/extract_invoice']);
      expect(await store.list([])).toEqual([]);
      expect((await store.list('all')).map((item) => `${item.tenantId ?? '*'}/${item.name}`))
        .toEqual(['*/extract_invoice', 'acme/classify', 'acme/extract_invoice', 'globex/extract_invoice']);
    });

    it('replaces a definition and deletes, in one tenant only', async () => {
      const updated = await store.update('acme', 'classify', { name: 'classify', type: 'text' }, 1_800_000_000_000);
      expect(updated).toEqual({ ...service('acme', 'classify'), definition: { name: 'classify', type: 'text' }, updatedAt: 1_800_000_000_000 });
      expect(await store.get('acme', 'classify')).toEqual(updated);
      expect(await store.update('globex', 'classify', {}, 1)).toBeNull();
      expect(await store.delete('globex', 'classify')).toBe(false);
      expect(await store.delete('acme', 'classify')).toBe(true);
      expect(await store.get('acme', 'classify')).toBeNull();
      expect(await store.get('globex', 'extract_invoice')).not.toBeNull();
    });
  });
}
