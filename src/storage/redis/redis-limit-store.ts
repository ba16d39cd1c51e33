import { GatewayError } from '../../core/index.js';
import type { AdmitResult, LimitCheck, LimitState, LimitStore, SettleResult, Settlement } from '../limit-store.js';
import { MemoryLimitStore } from '../memory/memory-limit-store.js';
import { RedisConnection, clusterNodesOf } from './connect-redis.js';
import { ADMIT_SCRIPT, SETTLE_SCRIPT } from './limit-scripts.js';
import { RedisScript } from './redis-script.js';

export type RedisFailureMode = 'fail_open' | 'fail_closed';

export interface RedisLimitStoreOptions {
  url: string;
  /** Seed nodes of a Redis Cluster (several comma-separated nodes in `url` mean a cluster too). */
  cluster?: readonly string[] | undefined;
  /** Every command gives up after this long, so a hung Redis never hangs a request. */
  commandTimeoutMs: number;
  failureMode: RedisFailureMode;
  /** Called on every decision taken locally because Redis failed (count it, log it). */
  onFailOpen: (operation: 'admit' | 'settle', error: unknown) => void;
  /** Key prefix, so several gateways can share one Redis. */
  prefix?: string;
}

const KIND_CODES = { window: 'w', concurrency: 'c', ledger: 'l' } as const;

/**
 * Limits shared by every instance through Redis: one Lua script per admission and per settlement.
 * When Redis fails, `fail_open` decides with local limits (each decision reported), `fail_closed`
 * refuses with 503.
 */
export class RedisLimitStore implements LimitStore {
  private readonly redis: RedisConnection;
  private readonly options: RedisLimitStoreOptions;
  private readonly prefix: string;
  /**
   * In a cluster every counter shares one hash slot: an admission checks several counters (key,
   * user, tenant) in one atomic script, and Redis Cluster runs a script only on keys of one slot.
   */
  private readonly slotTag: string | null;
  private readonly local = new MemoryLimitStore();
  /** Requests admitted by the local fallback settle there too. */
  private readonly admittedLocally = new Set<string>();
  private readonly scripts = { admit: new RedisScript(ADMIT_SCRIPT), settle: new RedisScript(SETTLE_SCRIPT) };

  constructor(options: RedisLimitStoreOptions) {
    this.options = options;
    this.prefix = options.prefix ?? 'sluice:limit:';
    this.slotTag = clusterNodesOf(options) === null ? null : 'limits';
    this.redis = new RedisConnection(options, { commandTimeoutMs: options.commandTimeoutMs });
  }

  async admit(requestId: string, checks: readonly LimitCheck[], now: number, leaseMs: number): Promise<AdmitResult> {
    if (checks.length === 0) return { admitted: true, states: [] };
    const keys = checks.map((check) => this.keyOf(check));
    const args: Array<string | number> = [now, leaseMs, requestId];
    for (const check of checks) args.push(KIND_CODES[check.kind], check.limit, check.cost, check.span);
    let reply: number[];
    try {
      reply = await this.run('admit', keys, args);
    } catch (error) {
      if (this.options.failureMode === 'fail_closed') throw unavailable(error);
      this.options.onFailOpen('admit', error);
      const result = this.local.admitNow(requestId, checks, now, leaseMs);
      if (result.admitted) this.admittedLocally.add(requestId);
      return result;
    }
    const states: LimitState[] = [];
    for (let index = 3; index + 1 < reply.length; index += 2) {
      states.push({ used: reply[index] ?? 0, resetMs: reply[index + 1] ?? 0 });
    }
    if (reply[0] === 1) return { admitted: true, states };
    const retryAfterMs = reply[2] ?? -1;
    return { admitted: false, index: reply[1] ?? 0, retryAfterMs: retryAfterMs < 0 ? null : retryAfterMs, states };
  }

  async settle(requestId: string, settlements: readonly Settlement[], now: number, admittedAt: number): Promise<SettleResult[]> {
    if (settlements.length === 0) return [];
    if (this.admittedLocally.delete(requestId)) return this.local.settleNow(requestId, settlements, now, admittedAt);
    const keys = settlements.map(({ check }) => this.keyOf(check));
    const args: Array<string | number> = [now, requestId, admittedAt];
    for (const { check, actual } of settlements) args.push(KIND_CODES[check.kind], actual, check.span, check.cost);
    try {
      const reply = await this.run('settle', keys, args);
      return settlements.map((_settlement, index) => ({ before: reply[index * 2] ?? 0, after: reply[index * 2 + 1] ?? 0 }));
    } catch (error) {
      // The reservation expires with its lease; the spend of this one request is lost to the shared counter.
      this.options.onFailOpen('settle', error);
      return settlements.map(() => ({ before: 0, after: 0 }));
    }
  }

  ping(): Promise<boolean> {
    return this.redis.ping();
  }

  /** Resolves once connected (tests and startup checks). */
  ready(): Promise<void> {
    return this.redis.ready();
  }

  async close(): Promise<void> {
    await this.redis.close();
    await this.local.close();
  }

  private keyOf(check: LimitCheck): string {
    return this.slotTag === null ? `${this.prefix}{${check.key}}` : `${this.prefix}{${this.slotTag}}${check.key}`;
  }

  private async run(name: 'admit' | 'settle', keys: string[], args: Array<string | number>): Promise<number[]> {
    const reply = await this.scripts[name].run(await this.redis.client, keys, args);
    if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'number')) {
      throw new Error(`unexpected reply from the ${name} script`);
    }
    return reply.filter((item): item is number => typeof item === 'number');
  }
}

function unavailable(error: unknown): GatewayError {
  return new GatewayError('service_unavailable', 'The rate-limit store is unavailable; try again shortly.', {
    cause: error, retryAfterMs: 1000,
  });
}
