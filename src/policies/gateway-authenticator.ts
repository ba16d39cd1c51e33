import type { KeyService } from './key-service.js';
import { KEY_PREFIX } from './key-service.js';
import { MASTER_PRINCIPAL, masterKeyMatcher } from './master-key-authenticator.js';
import type { Authenticator, Principal } from './principal.js';

/** The master key, then virtual keys (`sk-sluice-…`), then JWTs when configured. */
export function createGatewayAuthenticator(options: {
  masterKey: string;
  keys: KeyService;
  jwt: Authenticator | null;
}): Authenticator {
  const isMaster = masterKeyMatcher(options.masterKey);
  return {
    async authenticate(secret: string): Promise<Principal | null> {
      if (isMaster(secret)) return MASTER_PRINCIPAL;
      if (secret.startsWith(KEY_PREFIX)) return options.keys.authenticate(secret);
      return options.jwt === null ? null : options.jwt.authenticate(secret);
    },
  };
}
