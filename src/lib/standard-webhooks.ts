import { createHmac } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';

/**
 * Signs a webhook the Standard Webhooks way (standardwebhooks.com): HMAC-SHA256 over
 * `{id}.{timestamp}.{payload}` with the secret's base64-decoded bytes, answered as `v1,<base64>`.
 * The secret must be `whsec_<base64>`: without the prefix the reference libraries read base64 but
 * the `openai` SDK reads UTF-8, so an unprefixed secret would verify with one and not the other.
 */
export function signWebhook(secret: string, id: string, timestampSeconds: number, payload: string): string {
  const key = secret.startsWith(SECRET_PREFIX) ? Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64') : Buffer.alloc(0);
  if (key.length === 0) throw new Error('a webhook secret must be whsec_ followed by base64 bytes');
  const signature = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${payload}`).digest('base64');
  return `v1,${signature}`;
}

/** The three headers a Standard Webhooks receiver (the `openai` SDK's `webhooks.unwrap()`, say) verifies. */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, payload: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, payload),
  };
}
