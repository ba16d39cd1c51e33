import { createHash, timingSafeEqual } from 'node:crypto';
import type { Authenticator, Principal } from './principal.js';

const MASTER: Principal = Object.freeze({ role: 'admin', keyId: null, tenantId: null, label: 'master' });

/** Accepts exactly the master key, compared in constant time. */
export function createMasterKeyAuthenticator(masterKey: string): Authenticator {
  const expected = digest(masterKey);
  return {
    async authenticate(secret: string): Promise<Principal | null> {
      return timingSafeEqual(digest(secret), expected) ? MASTER : null;
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
