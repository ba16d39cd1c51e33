import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Compares two secrets in time independent of where they differ (both are hashed first). */
export function secretsEqual(left: string, right: string): boolean {
  const leftDigest = createHash('sha256').update(left).digest();
  const rightDigest = createHash('sha256').update(right).digest();
  return timingSafeEqual(leftDigest, rightDigest);
}

export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Shows a secret the way logs and admin output may: `sk-…abcd`. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return '…';
  return `${secret.slice(0, 3)}…${secret.slice(-4)}`;
}
