import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomToken } from '../lib/index.js';

/**
 * The development admin key: generated on first start and kept in a file (mode 0600) so it
 * survives restarts. Writing with the `wx` flag makes concurrent first starts agree on one key.
 */
export function loadOrCreateAdminKey(path: string): { key: string; created: boolean } {
  if (existsSync(path)) return { key: readFileSync(path, 'utf8').trim(), created: false };
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = `sk-sluice-admin-${randomToken(24)}`;
  try {
    writeFileSync(path, `${key}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(path, 0o600);
    return { key, created: true };
  } catch {
    return { key: readFileSync(path, 'utf8').trim(), created: false };
  }
}
