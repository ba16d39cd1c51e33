import { hash, timingSafeEqual } from 'node:crypto';
import type { Authenticator, Principal } from './principal.js';

export const MASTER_PRINCIPAL: Principal = Object.freeze({
  role: 'admin', keyId: null, tenantId: null, label: 'master', userId: null, tier: null,
  allowedModels: null, limits: Object.freeze({}), limitSubject: null, endUserScope: 'master',
});

/** Accepts exactly the master key, compared in constant time. */
export function createMasterKeyAuthenticator(masterKey: string): Authenticator {
  const matches = masterKeyMatcher(masterKey);
  return {
    async authenticate(secret: string): Promise<Principal | null> {
      return matches(secret) ? MASTER_PRINCIPAL : null;
    },
  };
}

export function masterKeyMatcher(masterKey: string): (secret: string) => boolean {
  const expected = digest(masterKey);
  return (secret) => timingSafeEqual(digest(secret), expected);
}

/** One-shot hashing: about half the cost of a Hash object, on every request. */
function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}
