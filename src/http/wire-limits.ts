import { z } from 'zod';

/**
 * Bounds on what clients choose. Identifiers end up in log rows, counter keys, metric labels and
 * response headers, so they are short and carry only characters a header may hold; arrays are
 * capped so that one request cannot make the gateway do unbounded work before it is admitted.
 */
export const WIRE_LIMITS = {
  identifierLength: 256,
  messages: 2048,
  tools: 256,
  contentParts: 512,
  embeddingInputs: 2048,
} as const;

/** A model id: 1–256 visible ASCII characters (it is echoed in `x-sluice-model`). */
export const modelIdSchema = z.string()
  .min(1)
  .max(WIRE_LIMITS.identifierLength)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, 'must be printable ASCII without leading or trailing spaces');

/** An end-user id (`user`, `metadata.user_id`). */
export const endUserSchema = z.string().max(WIRE_LIMITS.identifierLength);
