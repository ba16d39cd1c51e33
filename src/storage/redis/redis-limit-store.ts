import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../../core/index.js';
import type { AdmitResult, LimitCheck, LimitState, LimitStore, SettleResult, Settlement } from '../limit-store.js';
import { RedisConnection, clusterNodesOf } from './connect-redis.js';
import type { RedisClient } from './connect-redis.js';
import { DegradedLimits } from './degraded-limits.js';
import { ADMIT_SCRIPT, HEARTBEAT_SCRIPT, SETTLE_SCRIPT } from './limit-scripts.js';
import { withDeadline } from './redis-deadline.js';
import { RedisScript } from './redis-script.js';
import { SettlementQueue } from './settlement-queue.js';
import type { QueuedSettlement } from './settlement-queue.js';

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
  /** Called when a queued settlement had to be dropped (the queue was full). */
  onSettlementDropped?: ((count: number) => void) | undefined;
  /** How often this instance announces itself live (its share in a fault is split by the live count). */
  heartbeatMs?: number | undefined;
}

/** After a failed command, decide locally for this long before trying Redis again. */
const RETRY_REDIS_AFTER_MS = 250;
/** An instance counts as live this long after its last heartbeat. */
const LIVE_WINDOW_FACTOR = 5;
const MAX_QUEUED_SETTLEMENTS = 100_000;

const KIND_CODES = { window: 'w', concurrency: 'c', ledger: 'l' } as const;

/**
 * Limits shared by every instance through Redis: one Lua script per admission and per settlement.
 * When Redis fails, `fail_open` decides with local counters that start from the last shared state
 * and hold only this instance's share of what was left (`DegradedLimits`), `fail_closed` refuses
 * with 503. Settlements Redis did not take are queued and retried with their request id, so none
 * is lost or applied twice; an admission that timed out is released the same way, in case Redis
 * ran it after all.
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
  private readonly degraded = new DegradedLimits();
  /** Requests admitted by the local fallback: their checks, to add their cost to Redis later. */
  private readonly admittedLocally = new Map<string, readonly LimitCheck[]>();
  private readonly scripts = {
    admit: new RedisScript(ADMIT_SCRIPT), settle: new RedisScript(SETTLE_SCRIPT), heartbeat: new RedisScript(HEARTBEAT_SCRIPT),
  };
  private readonly queue: SettlementQueue;
  private readonly instanceId = randomUUID();
  private readonly heartbeat: NodeJS.Timeout;
  private connectedOnce = false;
  /** The first connection, awaited by every command sent before it (one listener, not one each). */
  private firstConnection: Promise<void> | null = null;
  /** performance.now() until which admissions skip Redis after a failure. */
  private skipRedisUntil = 0;

  constructor(options: RedisLimitStoreOptions) {
    this.options = options;
    this.prefix = options.prefix ?? 'sluice:limit:';
    this.slotTag = clusterNodesOf(options) === null ? null : 'limits';
    // ioredis' own timeout is only a backstop; `withDeadline` decides, robust to event-loop lag.
    this.redis = new RedisConnection(options, { commandTimeoutMs: Math.max(2000, options.commandTimeoutMs * 10) });
    this.queue = new SettlementQueue({
      run: async (entry) => {
        await this.run('settle', entry.keys, entry.args);
      },
      maxEntries: MAX_QUEUED_SETTLEMENTS,
      onDropped: () => options.onSettlementDropped?.(1),
      // Retried often: local spend must reach Redis within moments of its return.
      maxDelayMs: 250,
    });
    const heartbeatMs = options.heartbeatMs ?? 2000;
    this.heartbeat = setInterval(() => void this.announce(heartbeatMs), heartbeatMs);
    this.heartbeat.unref();
    void this.announce(heartbeatMs);
  }

  /** Settlements and releases waiting for Redis. */
  get queuedSettlements(): number {
    return this.queue.size;
  }

  /** Instances seen live in the last heartbeat (this one included). */
  get liveInstances(): number {
    return this.degraded.liveInstances;
  }

  /** Sends queued settlements now (tests, and before closing). */
  flushSettlements(): Promise<void> {
    return this.queue.drain();
  }

  async admit(requestId: string, checks: readonly LimitCheck[], now: number, leaseMs: number): Promise<AdmitResult> {
    if (checks.length === 0) return { admitted: true, states: [] };
    const keys = checks.map((check) => this.keyOf(check));
    const args: Array<string | number> = [now, leaseMs, requestId];
    for (const check of checks) args.push(KIND_CODES[check.kind], check.limit, check.cost, check.span);
    let reply: number[];
    try {
      if (performance.now() < this.skipRedisUntil) throw new NotSentError('Redis failed moments ago; deciding locally');
      // What this instance admitted locally reaches Redis before Redis decides again, so the
      // shared windows and ledgers count it (else the first second after a fault could pass a limit).
      if (this.queue.size > 0) await this.queue.drain();
      reply = await this.run('admit', keys, args);
    } catch (error) {
      this.skipRedisUntil = performance.now() + RETRY_REDIS_AFTER_MS;
      // Redis may still run an admission the client gave up on: release whatever it took.
      if (this.wasSent(error)) this.queue.push(this.entry(requestId, checks.map((check) => ({ check, actual: 0 })), now, now, 'c', null));
      if (this.options.failureMode === 'fail_closed') throw unavailable(error);
      this.options.onFailOpen('admit', error);
      const epoch = this.degraded.epochId;
      const result = this.degraded.admit(requestId, checks, now, leaseMs, (key) => this.queue.pendingSpend(key, epoch));
      if (result.admitted) this.admittedLocally.set(requestId, checks);
      return result;
    }
    this.degraded.recovered();
    const states: LimitState[] = [];
    for (let index = 3; index + 1 < reply.length; index += 2) {
      states.push({ used: reply[index] ?? 0, resetMs: reply[index + 1] ?? 0 });
    }
    this.degraded.record(checks, states, now);
    if (reply[0] === 1) return { admitted: true, states };
    const retryAfterMs = reply[2] ?? -1;
    return { admitted: false, index: reply[1] ?? 0, retryAfterMs: retryAfterMs < 0 ? null : retryAfterMs, states };
  }

  async settle(requestId: string, settlements: readonly Settlement[], now: number, admittedAt: number): Promise<SettleResult[]> {
    const localChecks = this.admittedLocally.get(requestId);
    if (localChecks !== undefined) {
      this.admittedLocally.delete(requestId);
      const epoch = this.degraded.epochId;
      const results = this.degraded.settle(requestId, settlements, now, admittedAt);
      // The shared counters never saw this request: add what it really cost (a window entry that
      // settled at its reserved cost has no settlement, so every admitted check is listed here).
      const actuals = new Map(settlements.map(({ check, actual }) => [check.key, actual]));
      const pushed = localChecks
        .filter((check) => check.kind !== 'concurrency')
        .map((check) => ({ check, actual: actuals.get(check.key) ?? check.cost }));
      if (pushed.length > 0) {
        this.queue.push(this.entry(requestId, pushed, now, admittedAt, 'l', epoch));
        void this.queue.drain();
      }
      return results;
    }
    if (settlements.length === 0) return [];
    const entry = this.entry(requestId, settlements, now, admittedAt, 's', null);
    try {
      if (performance.now() < this.skipRedisUntil) throw new NotSentError('Redis failed moments ago; queued');
      const reply = await this.run('settle', entry.keys, entry.args);
      return settlements.map((_settlement, index) => ({ before: reply[index * 2] ?? 0, after: reply[index * 2 + 1] ?? 0 }));
    } catch (error) {
      // Queued and retried with its request id: applied once, whenever Redis takes it.
      this.skipRedisUntil = performance.now() + RETRY_REDIS_AFTER_MS;
      this.queue.push(entry);
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
    clearInterval(this.heartbeat);
    // One last attempt to hand queued settlements to Redis before the process goes.
    await this.queue.close();
    await this.redis.close();
  }

  private keyOf(check: LimitCheck): string {
    return this.slotTag === null ? `${this.prefix}{${check.key}}` : `${this.prefix}{${this.slotTag}}${check.key}`;
  }

  private entry(
    requestId: string, settlements: ReadonlyArray<{ check: LimitCheck; actual: number }>, now: number, admittedAt: number,
    mode: 's' | 'l' | 'c', epoch: number | null,
  ): QueuedSettlement {
    const args: Array<string | number> = [now, requestId, admittedAt, mode];
    for (const { check, actual } of settlements) args.push(KIND_CODES[check.kind], actual, check.span, check.cost);
    return {
      keys: settlements.map(({ check }) => this.keyOf(check)),
      args,
      spend: mode === 'l' ? settlements.filter(({ check }) => check.kind === 'ledger').map(({ check, actual }) => ({ key: check.key, amount: actual })) : [],
      epoch,
    };
  }

  /** Whether a failed command may have reached Redis (it was written to a live connection). */
  private wasSent(error: unknown): boolean {
    return !(error instanceof NotSentError);
  }

  private async run(name: 'admit' | 'settle', keys: string[], args: Array<string | number>): Promise<number[]> {
    const client = await this.connected();
    const reply = await withDeadline(() => this.scripts[name].run(client, keys, args), this.options.commandTimeoutMs);
    if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'number')) {
      throw new Error(`unexpected reply from the ${name} script`);
    }
    return reply.filter((item): item is number => typeof item === 'number');
  }

  /**
   * The client, if it can take a command now. While disconnected a command is refused at once
   * rather than left in ioredis' offline queue, where it would run, unasked, once Redis is back.
   * Only the first connection is waited for (within the deadline), so a fresh instance does not
   * start in degraded mode.
   */
  private async connected(): Promise<RedisClient> {
    const client = await this.redis.client;
    if (client.status === 'ready') {
      this.connectedOnce = true;
      return client;
    }
    if (this.connectedOnce) throw new NotSentError('Redis is not connected');
    try {
      this.firstConnection ??= this.redis.ready().catch((error: unknown) => {
        this.firstConnection = null;
        throw error;
      });
      const first = this.firstConnection;
      await withDeadline(() => first, this.options.commandTimeoutMs);
    } catch (error) {
      throw new NotSentError(`Redis is not connected: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.connectedOnce = true;
    return client;
  }

  private async announce(intervalMs: number): Promise<void> {
    try {
      const client = await this.connected();
      const key = this.slotTag === null ? `${this.prefix}{instances}` : `${this.prefix}{${this.slotTag}}instances`;
      const count = await withDeadline(
        () => this.scripts.heartbeat.run(client, [key], [Date.now(), this.instanceId, intervalMs * LIVE_WINDOW_FACTOR]),
        this.options.commandTimeoutMs,
      );
      if (typeof count === 'number') this.degraded.setLiveInstances(count);
      // Redis is reachable: hand over what waited for it.
      if (this.queue.size > 0) void this.queue.drain();
    } catch {
      // The last known count stays: an instance that died keeps counting, which only shrinks shares.
    }
  }
}

/** A command refused before it was written to Redis: nothing to release. */
class NotSentError extends Error {}

function unavailable(error: unknown): GatewayError {
  return new GatewayError('service_unavailable', 'The rate-limit store is unavailable; try again shortly.', {
    cause: error, retryAfterMs: 1000,
  });
}
