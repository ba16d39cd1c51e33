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

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // JSON fields that hold credentials, whatever their value looks like.
  [/("(?:api[_-]?key|x-api-key|authorization|password|passwd|secret|client[_-]?secret|access[_-]?token|refresh[_-]?token|token)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, '$1"[REDACTED]"'],
  [/\b(bearer\s+)[\w.~+/=-]{8,}/gi, '$1[REDACTED]'],
  [/\b(?:sk|pk|rk)-[\w-]{16,}/g, '[REDACTED]'],
  [/\bAIza[\w-]{30,}/g, '[REDACTED]'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, '[REDACTED]'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, '[REDACTED]'],
  [/\bxox[abprs]-[\w-]{10,}/g, '[REDACTED]'],
  [/\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/g, '[REDACTED]'],
];

/**
 * Replaces what looks like a credential (API keys of the common vendors, bearer tokens, JWTs,
 * and the values of JSON fields named like `api_key` or `authorization`) with `[REDACTED]`.
 */
export function redactSecrets(text: string): string {
  let redacted = text;
  for (const [pattern, replacement] of SECRET_PATTERNS) redacted = redacted.replace(pattern, replacement);
  return redacted;
}
