import { randomBytes } from 'node:crypto';

const CLIENT_ID_PATTERN = /^[\w.:@/+=-]{1,128}$/;

/** Keeps a client's request id when it is a sane token, else mints `req_…`. */
export function chooseRequestId(clientValue: string | string[] | undefined): string {
  if (typeof clientValue === 'string' && CLIENT_ID_PATTERN.test(clientValue)) return clientValue;
  return createRequestId();
}

let pool = Buffer.alloc(0);
let offset = 0;

/** A random id from a pooled buffer: cheaper than one randomBytes call per request. */
export function createRequestId(): string {
  if (offset + 12 > pool.length) {
    pool = randomBytes(12 * 256);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + 12);
  offset += 12;
  return `req_${id}`;
}
