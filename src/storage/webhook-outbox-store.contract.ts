import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewWebhookMessage, WebhookOutboxStore } from './webhook-outbox-store.js';

const T0 = 1_800_000_000_000;

export interface OutboxStoreHandle {
  store: WebhookOutboxStore;
  /** A second store on the same data (another instance), where the backend shares data. */
  other?: WebhookOutboxStore;
  cleanup: () => Promise<void>;
}

/** The behaviour every WebhookOutboxStore must show; run by memory, SQLite and Postgres. */
export function describeWebhookOutboxStoreContract(name: string, open: () => Promise<OutboxStoreHandle>): void {
  describe(`WebhookOutboxStore contract: ${name}`, () => {
    let handle: OutboxStoreHandle;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle.cleanup();
    });

    const message = (id: string, overrides: Partial<NewWebhookMessage> = {}): NewWebhookMessage => ({
      id, dedupeKey: `dedupe-${id}`, url: 'https://hooks.example.com/in', secretRef: 'tenant:acme', eventType: 'video.completed',
      payload: `{"id":"${id}"}`, tenantId: 'acme', createdAt: T0, ...overrides,
    });

    it('stores a message once per dedupe key, pending and due at once, every field intact', async () => {
      const { store } = handle;
      expect(await store.enqueue(message('msg_a'))).toBe(true);
      expect(await store.enqueue(message('msg_a2', { dedupeKey: 'dedupe-msg_a' }))).toBe(false);
      expect(await store.get('msg_a2')).toBeNull();
      expect(await store.get('msg_a')).toEqual({
        ...message('msg_a'), status: 'pending', attempts: 0, nextAttemptAt: T0, leaseOwner: null, leaseUntil: null,
        lastStatus: null, lastError: null, deliveredAt: null,
      });
    });

    it('leases due messages to one claimer until the lease expires', async () => {
      const { store } = handle;
      await store.enqueue(message('msg_b', { createdAt: T0 + 10 }));
      await store.enqueue(message('msg_later', { createdAt: T0 + 60_000 }));
      const claimed = await store.claimDue('instance-1', T0 + 100, 30_000, 10);
      expect(claimed.map((item) => item.id)).toEqual(['msg_a', 'msg_b']);
      expect(claimed[0]).toMatchObject({ leaseOwner: 'instance-1', leaseUntil: T0 + 30_100 });
      expect(await store.claimDue('instance-2', T0 + 200, 30_000, 10)).toEqual([]);
      // instance-1 died: its lease runs out and another instance takes the messages over.
      const takenOver = await store.claimDue('instance-2', T0 + 30_101, 30_000, 1);
      expect(takenOver.map((item) => item.id)).toEqual(['msg_a']);
      expect(await store.markDelivered('msg_a', 'instance-1', T0 + 30_102, 200)).toBe(false);
      expect(await store.markDelivered('msg_a', 'instance-2', T0 + 30_103, 204)).toBe(true);
      expect(await store.get('msg_a')).toMatchObject({
        status: 'delivered', attempts: 1, lastStatus: 204, deliveredAt: T0 + 30_103, leaseOwner: null,
      });
      expect(await store.markDelivered('msg_a', 'instance-2', T0 + 30_104, 204)).toBe(false);
    });

    it('schedules a retry after a failed attempt, and gives up when told to', async () => {
      const { store } = handle;
      const [claimed] = await store.claimDue('instance-3', T0 + 40_000, 30_000, 1);
      expect(claimed?.id).toBe('msg_b');
      expect(await store.markAttemptFailed('msg_b', 'instance-3', { at: T0 + 40_001, status: 500, error: 'HTTP 500', retryAt: T0 + 100_000 })).toBe(true);
      expect(await store.get('msg_b')).toMatchObject({
        status: 'pending', attempts: 1, nextAttemptAt: T0 + 100_000, lastStatus: 500, lastError: 'HTTP 500', leaseOwner: null, leaseUntil: null,
      });
      expect((await store.claimDue('instance-3', T0 + 99_999, 30_000, 10)).map((item) => item.id)).toEqual(['msg_later']);
      await store.markAttemptFailed('msg_later', 'instance-3', { at: T0 + 99_999, status: null, error: 'connection refused', retryAt: T0 + 500_000 });
      const [again] = await store.claimDue('instance-3', T0 + 100_000, 30_000, 10);
      expect(again?.id).toBe('msg_b');
      await store.markAttemptFailed('msg_b', 'instance-3', { at: T0 + 100_001, status: null, error: 'timeout', retryAt: null });
      expect(await store.get('msg_b')).toMatchObject({ status: 'failed', attempts: 2, lastError: 'timeout', lastStatus: null });
      expect(await store.claimDue('instance-3', T0 + 10_000_000, 30_000, 10)).toEqual([
        expect.objectContaining({ id: 'msg_later', attempts: 1, lastError: 'connection refused' }),
      ]);
    });

    it('lists the newest messages first, optionally for one tenant', async () => {
      const { store } = handle;
      await store.enqueue(message('msg_globex', { tenantId: 'globex', createdAt: T0 + 70_000 }));
      expect((await store.listRecent(2)).map((item) => item.id)).toEqual(['msg_globex', 'msg_later']);
      expect((await store.listRecent(10, 'acme')).map((item) => item.id)).toEqual(['msg_later', 'msg_b', 'msg_a']);
    });

    it('hands each due message to exactly one of many concurrent claimers', async () => {
      const stores = [handle.store, handle.other ?? handle.store];
      const start = T0 + 1_000_000_000;
      for (let index = 0; index < 40; index++) {
        await handle.store.enqueue(message(`msg_race_${String(index).padStart(2, '0')}`, { createdAt: start, tenantId: 'race' }));
      }
      const claims = await Promise.all(Array.from({ length: 8 }, (_, index) =>
        stores[index % 2]!.claimDue(`racer-${index}`, start + 1, 60_000, 7)));
      const ids = claims.flat().map((item) => item.id).filter((id) => id.startsWith('msg_race_'));
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
    });

    it('stores several messages in one call, skipping those whose dedupe key exists', async () => {
      const { store } = handle;
      expect(await store.enqueue(message('msg_b1'))).toBe(true);
      expect(await store.enqueueAll([message('msg_b1x', { dedupeKey: 'dedupe-msg_b1' }), message('msg_b2'), message('msg_b3')])).toBe(2);
      expect(await store.get('msg_b1x')).toBeNull();
      expect((await store.get('msg_b3'))?.status).toBe('pending');
      expect(await store.enqueueAll([])).toBe(0);
    });
  });
}
