import { randomBytes } from 'node:crypto';

export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
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

/** Configured values shorter than this are not treated as secrets (they would redact ordinary words). */
const MIN_VERBATIM_SECRET_CHARS = 8;

/**
 * A redactor for text that may echo configured credentials (an upstream's error message quoting
 * the key it refused): each given value is removed verbatim, longest first, with the token of a
 * `Bearer …` value on its own, and then `redactSecrets` runs. Verbatim removal is what catches a
 * key in a format no pattern knows.
 */
export function createSecretRedactor(values: Iterable<string>): (text: string) => string {
  const secrets = new Set<string>();
  for (const value of values) {
    const trimmed = value.trim();
    const bearer = /^bearer\s+(.+)$/i.exec(trimmed)?.[1];
    for (const candidate of [trimmed, bearer]) {
      if (candidate !== undefined && candidate.length >= MIN_VERBATIM_SECRET_CHARS) secrets.add(candidate);
    }
  }
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => {
    let redacted = text;
    for (const secret of ordered) if (redacted.includes(secret)) redacted = redacted.replaceAll(secret, '[REDACTED]');
    return redactSecrets(redacted);
  };
}
