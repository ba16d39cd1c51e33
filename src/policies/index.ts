export { createMasterKeyAuthenticator } from './master-key-authenticator.js';
export type { Authenticator, Principal } from './principal.js';
