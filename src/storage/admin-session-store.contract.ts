import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { AdminSessionRecord, AdminSessionStore } from './admin-session-store.js';

const IDLE_MS = 3_600_000;
const ABSOLUTE_MS = 12 * 3_600_000;
const t0 = 1_700_000_000_000;

function newSession(overrides: Partial<AdminSessionRecord> = {}): AdminSessionRecord {
  return {
    idHash: randomBytes(32).toString('hex'), keyId: 'key_abc', role: 'tenant_admin', tenantId: 'acme',
    createdAt: t0, lastSeenAt: t0, expiresAt: t0 + ABSOLUTE_MS, ...overrides,
  };
}

/** The behaviour every AdminSessionStore must show; run by the SQL (SQLite, Postgres) and Redis implementations. */
export function describeAdminSessionStoreContract(name: string, open: () => Promise<AdminSessionStore & { close?: () => Promise<void> }>): void {
  describe(`AdminSessionStore contract: ${name}`, () => {
    it('a created session is found by its hash with every field, and use moves its last-seen time', async () => {
      const store = await open();
      const session = newSession();
      await store.create(session);
      expect(await store.use(session.idHash, t0 + 1000, IDLE_MS)).toEqual({ ...session, lastSeenAt: t0 + 1000 });
      const master = newSession({ keyId: null, role: 'admin', tenantId: null });
      await store.create(master);
      expect(await store.use(master.idHash, t0 + 5, IDLE_MS)).toEqual({ ...master, lastSeenAt: t0 + 5 });
      expect(await store.use(randomBytes(32).toString('hex'), t0, IDLE_MS)).toBeNull();
      await store.close?.();
    });

    it('activity slides the idle expiry, and a session idle for the idle time is gone for good', async () => {
      const store = await open();
      const session = newSession();
      await store.create(session);
      // Used every 59 minutes: alive well past the first hour.
      for (let minute = 59; minute <= 59 * 4; minute += 59) {
        expect(await store.use(session.idHash, t0 + minute * 60_000, IDLE_MS)).not.toBeNull();
      }
      const lastSeen = t0 + 59 * 4 * 60_000;
      expect(await store.use(session.idHash, lastSeen + IDLE_MS, IDLE_MS)).toBeNull();
      // Deleted, not just refused: an earlier clock does not bring it back.
      expect(await store.use(session.idHash, lastSeen + 1, IDLE_MS)).toBeNull();
      await store.close?.();
    });

    it('no activity keeps a session past its absolute expiry', async () => {
      const store = await open();
      const session = newSession({ expiresAt: t0 + 2 * IDLE_MS });
      await store.create(session);
      expect(await store.use(session.idHash, t0 + IDLE_MS - 1, IDLE_MS)).not.toBeNull();
      expect(await store.use(session.idHash, t0 + 2 * IDLE_MS - 2, IDLE_MS)).not.toBeNull();
      expect(await store.use(session.idHash, t0 + 2 * IDLE_MS, IDLE_MS)).toBeNull();
      await store.close?.();
    });

    it('delete ends a session at once and leaves the others', async () => {
      const store = await open();
      const ended = newSession();
      const kept = newSession();
      await store.create(ended);
      await store.create(kept);
      await store.delete(ended.idHash);
      expect(await store.use(ended.idHash, t0 + 1, IDLE_MS)).toBeNull();
      expect(await store.use(kept.idHash, t0 + 1, IDLE_MS)).not.toBeNull();
      await store.close?.();
    });

    it('sweep removes dead sessions and keeps live ones', async () => {
      const store = await open();
      const idle = newSession({ lastSeenAt: t0 - IDLE_MS });
      const live = newSession();
      await store.create(idle);
      await store.create(live);
      await store.sweep(t0 + 1, IDLE_MS);
      expect(await store.use(idle.idHash, t0 + 1, IDLE_MS)).toBeNull();
      expect(await store.use(live.idHash, t0 + 2, IDLE_MS)).not.toBeNull();
      await store.close?.();
    });
  });
}
