import { isSessionLive } from '../admin-session-store.js';
import type { AdminSessionRecord, AdminSessionStore } from '../admin-session-store.js';
import { RedisConnection } from './connect-redis.js';
import type { RedisTarget } from './connect-redis.js';
import { RedisScript } from './redis-script.js';

/**
 * KEYS[1] the session; ARGV: now, idle_ms. Reads, checks and slides the session in one step, so
 * two instances never disagree about whether it is alive. The key also expires on Redis's own
 * clock at the sooner of its idle and absolute expiry, so nothing lingers.
 */
const USE_SCRIPT = `
local record = redis.call('GET', KEYS[1])
if not record then return false end
local now = tonumber(ARGV[1])
local idle = tonumber(ARGV[2])
local session = cjson.decode(record)
if now >= session.expiresAt or now - session.lastSeenAt >= idle then
  redis.call('DEL', KEYS[1])
  return false
end
session.lastSeenAt = now
local encoded = cjson.encode(session)
redis.call('SET', KEYS[1], encoded, 'PX', math.max(1, math.min(idle, session.expiresAt - now)))
return encoded
`;

export interface RedisAdminSessionStoreOptions extends RedisTarget {
  commandTimeoutMs: number;
  /** The idle expiry, so a new session's key expires on Redis's clock too. */
  idleMs: number;
  prefix?: string;
}

/** Dashboard sessions in Redis: one JSON value per session under its id's hash. */
export class RedisAdminSessionStore implements AdminSessionStore {
  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly idleMs: number;
  private readonly useScript = new RedisScript(USE_SCRIPT);

  constructor(options: RedisAdminSessionStoreOptions) {
    this.prefix = options.prefix ?? 'sluice:session:';
    this.idleMs = options.idleMs;
    this.redis = new RedisConnection(options, { commandTimeoutMs: options.commandTimeoutMs });
  }

  async create(record: AdminSessionRecord): Promise<void> {
    const ttl = Math.max(1, Math.min(this.idleMs, record.expiresAt - record.lastSeenAt));
    await (await this.redis.client).set(this.keyOf(record.idHash), JSON.stringify(record), 'PX', ttl);
  }

  async use(idHash: string, now: number, idleMs: number): Promise<AdminSessionRecord | null> {
    const result = await this.useScript.run(await this.redis.client, [this.keyOf(idHash)], [now, idleMs]);
    if (typeof result !== 'string') return null;
    const record = parseRecord(result);
    return record !== null && isSessionLive(record, now, idleMs) ? record : null;
  }

  async delete(idHash: string): Promise<void> {
    await (await this.redis.client).del(this.keyOf(idHash));
  }

  async sweep(): Promise<void> {
    // Every session key carries its own expiry.
  }

  close(): Promise<void> {
    return this.redis.close();
  }

  private keyOf(idHash: string): string {
    return `${this.prefix}${idHash}`;
  }
}

function parseRecord(text: string): AdminSessionRecord | null {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null) return null;
  const field = (name: string): unknown => Reflect.get(value, name);
  const idHash = field('idHash');
  const keyId = field('keyId');
  const role = field('role');
  const tenantId = field('tenantId');
  const createdAt = field('createdAt');
  const lastSeenAt = field('lastSeenAt');
  const expiresAt = field('expiresAt');
  if (typeof idHash !== 'string' || typeof createdAt !== 'number' || typeof lastSeenAt !== 'number' || typeof expiresAt !== 'number') return null;
  if (role !== 'admin' && role !== 'tenant_admin') return null;
  return {
    idHash,
    // cjson writes a JSON null it read back as cjson.null, which encodes as null again.
    keyId: typeof keyId === 'string' ? keyId : null,
    role,
    tenantId: typeof tenantId === 'string' ? tenantId : null,
    createdAt, lastSeenAt, expiresAt,
  };
}
