import { randomBytes } from 'node:crypto';

/**
 * Ids in OpenAI's style (`resp_…`, `msg_…`, `fc_…`): a prefix and 24 random hex characters,
 * from one random draw per request.
 */
export function createItemIds(): (prefix: string) => string {
  const pool = randomBytes(12 * 8);
  let offset = 0;
  return (prefix) => {
    if (offset + 12 > pool.length) {
      randomBytes(pool.length).copy(pool);
      offset = 0;
    }
    const id = pool.toString('hex', offset, offset + 12);
    offset += 12;
    return `${prefix}_${id}`;
  };
}
