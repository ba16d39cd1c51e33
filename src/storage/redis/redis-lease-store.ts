import type { LeaseStore } from '../lease-store.js';
import { RedisConnection } from './connect-redis.js';
import type { RedisTarget } from './connect-redis.js';
import { RedisScript } from './redis-script.js';

/**
 * ARGV: owner, now, ttl_ms. The holder and its deadline live in one hash (one key, any cluster
 * slot); the key also expires on Redis's own clock, so a forgotten lease never lingers.
 */
const ACQUIRE_SCRIPT = `
local fields = redis.call('HMGET', KEYS[1], 'o', 'u')
local now = tonumber(ARGV[2])
if fields[1] and fields[1] ~= ARGV[1] and tonumber(fields[2]) > now then return 0 end
redis.call('HSET', KEYS[1], 'o', ARGV[1], 'u', now + tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;
const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'o') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

export interface RedisLeaseStoreOptions extends RedisTarget {
  commandTimeoutMs: number;
  prefix?: string;
}

/** Leases shared through Redis (the `SET NX PX`, renewed, idea as one script). */
export class RedisLeaseStore implements LeaseStore {
  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly scripts = { acquire: new RedisScript(ACQUIRE_SCRIPT), release: new RedisScript(RELEASE_SCRIPT) };

  constructor(options: RedisLeaseStoreOptions) {
    this.prefix = options.prefix ?? 'sluice:lease:';
    this.redis = new RedisConnection(options, { commandTimeoutMs: options.commandTimeoutMs });
  }

  async acquire(name: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return (await this.scripts.acquire.run(await this.redis.client, [this.keyOf(name)], [owner, now, ttlMs])) === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    await this.scripts.release.run(await this.redis.client, [this.keyOf(name)], [owner]);
  }

  close(): Promise<void> {
    return this.redis.close();
  }

  private keyOf(name: string): string {
    return `${this.prefix}{${name}}`;
  }
}
