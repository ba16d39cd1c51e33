import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord, JobStore } from './job-store.js';

const T0 = 1_800_000_000_000;

export interface JobStoreHandle {
  store: JobStore;
  /** A second store on the same data (another instance), where the backend shares data. */
  other?: JobStore;
  cleanup: () => Promise<void>;
}

export function jobRecord(id: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id, kind: 'video', ownerScope: 'tenant:acme', tenantId: 'acme', keyId: 'key_1', requestId: `req_${id}`, publicModel: 'veo',
    provider: 'google', targetModel: 'veo-3.1-generate-preview', providerRef: null, status: 'queued', progress: null,
    request: { prompt: 'a cat', seconds: 8, size: '1280x720' }, result: null, errorCode: null, errorMessage: null,
    createdAt: T0, updatedAt: T0, completedAt: null, expiresAt: null, nextPollAt: T0, pollAttempts: 0, leaseOwner: null,
    leaseUntil: null, reservedUsd: 3.2, costUsd: null, webhookUrl: 'https://hooks.example.com/sluice', webhookSecretRef: 'tenant:acme',
    metadata: { team: 'video' }, ...overrides,
  };
}

/** The behaviour every JobStore must show; run by memory, SQLite and Postgres. */
export function describeJobStoreContract(name: string, open: () => Promise<JobStoreHandle>): void {
  describe(`JobStore contract: ${name}`, () => {
    let handle: JobStoreHandle;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle.cleanup();
    });

    it('stores a job with every field intact, visible only to its owner scope and the admin', async () => {
      const { store } = handle;
      const job = jobRecord('video_a');
      await store.insert(job);
      expect(await store.get('video_a', 'tenant:acme')).toEqual(job);
      expect(await store.get('video_a', null)).toEqual(job);
      expect(await store.get('video_a', 'tenant:globex')).toBeNull();
      expect(await store.get('video_nope', null)).toBeNull();
      await expect(store.insert(job)).rejects.toThrow();
    });

    it('leases due unfinished jobs to one claimer at a time, and lets another take over after the lease', async () => {
      const { store } = handle;
      await store.insert(jobRecord('video_b', { nextPollAt: T0 + 5_000, createdAt: T0 + 1 }));
      await store.insert(jobRecord('video_done', { status: 'completed', nextPollAt: T0, createdAt: T0 + 2 }));
      expect(await store.nextDueAt(T0)).toBe(T0);
      const claimed = await store.claimDue('instance-1', T0 + 1_000, 30_000, 10);
      // video_a is leased now; video_done is finished: only video_b counts.
      expect(await store.nextDueAt(T0 + 1_000)).toBe(T0 + 5_000);
      expect(claimed.map((job) => job.id)).toEqual(['video_a']);
      expect(claimed[0]).toMatchObject({ leaseOwner: 'instance-1', leaseUntil: T0 + 31_000 });
      expect((await store.claimDue('instance-2', T0 + 6_000, 30_000, 10)).map((job) => job.id)).toEqual(['video_b']);
      expect(await store.update('video_a', 'instance-2', { progress: 50 })).toBe(false);
      const takenOver = await store.claimDue('instance-2', T0 + 31_001, 30_000, 10);
      expect(takenOver.map((job) => job.id)).toEqual(['video_a']);
      expect(await store.update('video_a', 'instance-1', { progress: 10 })).toBe(false);
    });

    it('applies a lease holder\'s patch, and freezes a job once it finished', async () => {
      const { store } = handle;
      expect(await store.update('video_a', 'instance-2', {
        providerRef: 'models/veo/operations/op1', status: 'in_progress', progress: 40, nextPollAt: T0 + 40_000, pollAttempts: 1,
        leaseOwner: null, leaseUntil: null, updatedAt: T0 + 31_002,
      })).toBe(true);
      expect(await store.get('video_a', null)).toMatchObject({
        providerRef: 'models/veo/operations/op1', status: 'in_progress', progress: 40, nextPollAt: T0 + 40_000, pollAttempts: 1, leaseOwner: null,
      });
      const again = await store.claimDue('instance-3', T0 + 40_000, 30_000, 10);
      expect(again.map((job) => job.id).sort()).toEqual(['video_a', 'video_b']);
      const result = { seconds: 8, size: '1280x720', contentRef: 'files/abc' };
      expect(await store.update('video_a', 'instance-3', {
        status: 'completed', progress: 100, result, completedAt: T0 + 40_001, nextPollAt: null, costUsd: 3.2, leaseOwner: null, leaseUntil: null,
      })).toBe(true);
      expect(await store.get('video_a', 'tenant:acme')).toMatchObject({ status: 'completed', result, costUsd: 3.2, nextPollAt: null });
      await store.claimDue('instance-3', T0 + 50_000, 30_000, 10);
      expect(await store.update('video_a', 'instance-3', { status: 'failed' })).toBe(false);
      expect(await store.update('video_b', 'instance-3', { errorCode: 'provider_timeout', errorMessage: 'too slow', status: 'failed' })).toBe(true);
      expect(await store.get('video_b', null)).toMatchObject({ status: 'failed', errorCode: 'provider_timeout', errorMessage: 'too slow' });
    });

    it('lists a scope\'s jobs by creation time in pages, optionally one kind', async () => {
      const { store } = handle;
      await store.insert(jobRecord('img_c', { kind: 'image', createdAt: T0 + 3 }));
      await store.insert(jobRecord('video_globex', { ownerScope: 'tenant:globex', tenantId: 'globex', createdAt: T0 + 4 }));
      const first = await store.list({ ownerScope: 'tenant:acme', limit: 2, order: 'desc' });
      expect(first.jobs.map((job) => job.id)).toEqual(['img_c', 'video_done']);
      expect(first.hasMore).toBe(true);
      const second = await store.list({ ownerScope: 'tenant:acme', limit: 2, order: 'desc', after: 'video_done' });
      expect(second.jobs.map((job) => job.id)).toEqual(['video_b', 'video_a']);
      expect(second.hasMore).toBe(false);
      expect((await store.list({ ownerScope: 'tenant:acme', kind: 'video', limit: 10, order: 'asc' })).jobs.map((job) => job.id))
        .toEqual(['video_a', 'video_b', 'video_done']);
      expect((await store.list({ ownerScope: null, limit: 1, order: 'desc' })).jobs.map((job) => job.id)).toEqual(['video_globex']);
    });

    it('deletes only within the owner scope', async () => {
      const { store } = handle;
      expect(await store.delete('img_c', 'tenant:globex')).toBeNull();
      expect((await store.delete('img_c', 'tenant:acme'))?.id).toBe('img_c');
      expect(await store.get('img_c', null)).toBeNull();
    });

    it('hands each due job to exactly one of many concurrent claimers', async () => {
      const stores = [handle.store, handle.other ?? handle.store];
      const start = T0 + 1_000_000_000;
      for (let index = 0; index < 30; index++) {
        await handle.store.insert(jobRecord(`video_race_${index}`, { nextPollAt: start, ownerScope: 'race' }));
      }
      const claims = await Promise.all(Array.from({ length: 6 }, (_, index) =>
        stores[index % 2]!.claimDue(`racer-${index}`, start + 1, 60_000, 7)));
      const ids = claims.flat().map((job) => job.id).filter((id) => id.startsWith('video_race_'));
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    });
  });
}
