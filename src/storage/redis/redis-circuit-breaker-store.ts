import type {
  CircuitAdmission, CircuitBreakerSettings, CircuitBreakerStore, CircuitKey, CircuitOutcome, CircuitSnapshot, CircuitState,
  CircuitTransition,
} from '../../core/index.js';
import { ADMIT_CIRCUIT_SCRIPT, RECORD_CIRCUIT_SCRIPT } from './circuit-breaker-scripts.js';
import { RedisConnection } from './connect-redis.js';
import type { RedisTarget } from './connect-redis.js';
import { RedisScript } from './redis-script.js';

/** Redis unreachable or slow: use this process's own breakers, or treat every circuit as open. */
export type CircuitBreakerFallback = 'local' | 'open';

export interface RedisCircuitBreakerStoreOptions extends RedisTarget {
  /** Every command gives up after this long; the fallback then decides. */
  commandTimeoutMs: number;
  /** How long a circuit's state read from Redis is trusted before reading it again. */
  cacheMs: number;
  fallback: CircuitBreakerFallback;
  /** The per-process store the `local` fallback uses. */
  local: CircuitBreakerStore;
  /** Called when Redis fails and the fallback takes over (count it, log it). */
  onFallback?: (error: unknown) => void;
  /** Key prefix, so several gateways can share one Redis. */
  prefix?: string;
}

/** Half-open lets one probe through at a time; others are told to come back shortly. */
const HALF_OPEN_RETRY_AFTER_MS = 1000;
/** After a failed command, Redis is not asked again for this long: the fallback answers at once. */
const REDIS_RETRY_MS = 1000;
const TRANSITIONS: ReadonlyArray<CircuitTransition | null> = [
  null, { from: 'closed', to: 'open' }, { from: 'half_open', to: 'open' }, { from: 'half_open', to: 'closed' },
];

interface CachedCircuit {
  state: CircuitState;
  openUntil: number;
  readAt: number;
}

/**
 * Breakers shared by every instance through Redis: one hash per target, changed only by Lua
 * scripts, so failures seen anywhere count toward one state and exactly one half-open probe runs
 * fleet-wide. Reads go through a short local cache (a closed or still-open circuit costs no round
 * trip); calls that work on a closed circuit never touch Redis. When Redis fails, the fallback
 * decides and Redis is retried a second later, so no request waits on a dead Redis more than once.
 */
export class RedisCircuitBreakerStore implements CircuitBreakerStore {
  private readonly options: RedisCircuitBreakerStoreOptions;
  private readonly redis: RedisConnection;
  private readonly prefix: string;
  private readonly cache = new Map<string, CachedCircuit>();
  private readonly known = new Map<string, CircuitKey>();
  /** Probes the local fallback let through, per target: their outcomes go back to it. */
  private readonly localProbes = new Map<string, number>();
  private readonly scripts = { admit: new RedisScript(ADMIT_CIRCUIT_SCRIPT), record: new RedisScript(RECORD_CIRCUIT_SCRIPT) };
  private redisDownUntil = 0;

  constructor(options: RedisCircuitBreakerStoreOptions) {
    this.options = options;
    this.prefix = options.prefix ?? 'sluice:cb:';
    this.redis = new RedisConnection(options, { commandTimeoutMs: options.commandTimeoutMs });
  }

  /** Answers at once (no promise) from the cache: a closed circuit, or one still open. */
  admit(key: CircuitKey, settings: CircuitBreakerSettings, now: number): CircuitAdmission | Promise<CircuitAdmission> {
    const id = this.remember(key);
    const cached = this.cache.get(id);
    if (cached !== undefined && now - cached.readAt < this.options.cacheMs) {
      if (cached.state === 'closed') return { allowed: true, probe: false, transition: null };
      if (cached.state === 'open' && cached.openUntil > now) return { allowed: false, retryAfterMs: cached.openUntil - now, transition: null };
    }
    return this.admitShared(id, key, settings, now);
  }

  /** Answers at once (no promise) for a call that was no probe and did not fail: it changes nothing anywhere. */
  record(
    key: CircuitKey, outcome: CircuitOutcome, probe: boolean, settings: CircuitBreakerSettings, now: number,
  ): CircuitTransition | null | Promise<CircuitTransition | null> {
    const id = this.remember(key);
    const localProbes = this.localProbes.get(id) ?? 0;
    if (probe && localProbes > 0) {
      this.localProbes.set(id, localProbes - 1);
      return this.options.local.record(key, outcome, probe, settings, now);
    }
    if (!probe && outcome !== 'failure') return null;
    return this.recordShared(id, key, outcome, probe, settings, now);
  }

  private async admitShared(id: string, key: CircuitKey, settings: CircuitBreakerSettings, now: number): Promise<CircuitAdmission> {
    if (now < this.redisDownUntil) return this.admitWithoutRedis(id, key, settings, now);
    let reply: Array<number | string>;
    try {
      reply = await this.run('admit', id, [now, settings.cooldownMs, settings.cooldownMs, HALF_OPEN_RETRY_AFTER_MS, ttlOf(settings)]);
    } catch (error) {
      this.failed(error, now);
      return this.admitWithoutRedis(id, key, settings, now);
    }
    const [allowed, detail, moved, state, openUntil] = reply;
    this.cache.set(id, { state: toState(state), openUntil: Number(openUntil), readAt: now });
    const transition: CircuitTransition | null = moved === 1 ? { from: 'open', to: 'half_open' } : null;
    if (allowed === 1) return { allowed: true, probe: detail === 1, transition };
    return { allowed: false, retryAfterMs: Number(detail), transition };
  }

  private async recordShared(
    id: string, key: CircuitKey, outcome: CircuitOutcome, probe: boolean, settings: CircuitBreakerSettings, now: number,
  ): Promise<CircuitTransition | null> {
    if (now < this.redisDownUntil) return this.recordWithoutRedis(key, outcome, probe, settings, now);
    let reply: Array<number | string>;
    try {
      reply = await this.run('record', id, [
        now, outcome === 'failure' ? 'f' : outcome === 'success' ? 's' : 'n', probe ? 1 : 0,
        settings.failureThreshold, settings.windowMs, settings.cooldownMs, settings.halfOpenSuccesses, ttlOf(settings),
      ]);
    } catch (error) {
      this.failed(error, now);
      return this.recordWithoutRedis(key, outcome, probe, settings, now);
    }
    const [transition, , state, openUntil] = reply;
    this.cache.set(id, { state: toState(state), openUntil: Number(openUntil), readAt: now });
    return TRANSITIONS[Number(transition)] ?? null;
  }

  /** The shared state of every target this instance has called. */
  async snapshot(now: number): Promise<CircuitSnapshot[]> {
    const keys = [...this.known.entries()];
    if (keys.length === 0) return [];
    if (now < this.redisDownUntil) return this.options.fallback === 'local' ? this.options.local.snapshot(now) : [];
    try {
      const redis = await this.redis.client;
      const rows = await Promise.all(keys.map(([id]) => redis.hmget(this.prefix + id, 's', 'u')));
      return keys.map(([, key], index) => {
        const [state, openUntil] = rows[index] ?? [];
        const current = toState(state ?? 'closed');
        const shown = current === 'open' && now >= Number(openUntil) ? 'half_open' : current;
        return { ...key, state: shown, openUntil: shown === 'open' ? Number(openUntil) : null };
      });
    } catch (error) {
      this.failed(error, now);
      return this.options.fallback === 'local' ? this.options.local.snapshot(now) : [];
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
  }

  private async admitWithoutRedis(id: string, key: CircuitKey, settings: CircuitBreakerSettings, now: number): Promise<CircuitAdmission> {
    if (this.options.fallback === 'open') return { allowed: false, retryAfterMs: REDIS_RETRY_MS, transition: null };
    const admission = await this.options.local.admit(key, settings, now);
    if (admission.allowed && admission.probe) this.localProbes.set(id, (this.localProbes.get(id) ?? 0) + 1);
    return admission;
  }

  private recordWithoutRedis(
    key: CircuitKey, outcome: CircuitOutcome, probe: boolean, settings: CircuitBreakerSettings, now: number,
  ): CircuitTransition | null | Promise<CircuitTransition | null> {
    // A probe Redis handed out ends with its lease; the local breakers never saw it.
    if (this.options.fallback === 'open' || probe) return null;
    return this.options.local.record(key, outcome, probe, settings, now);
  }

  private failed(error: unknown, now: number): void {
    this.redisDownUntil = now + REDIS_RETRY_MS;
    this.cache.clear();
    this.options.onFallback?.(error);
  }

  private remember(key: CircuitKey): string {
    // The whole target is the hash tag: one key per script, and targets spread over a cluster.
    const id = `{${key.provider}\u0000${key.model}}`;
    if (!this.known.has(id)) this.known.set(id, key);
    return id;
  }

  private async run(name: 'admit' | 'record', id: string, args: Array<string | number>): Promise<Array<number | string>> {
    const reply = await this.scripts[name].run(await this.redis.client, [this.prefix + id], args);
    if (!Array.isArray(reply) || reply.length < 4) throw new Error(`unexpected reply from the circuit ${name} script`);
    return reply.map((item: unknown) => (typeof item === 'number' || typeof item === 'string' ? item : 0));
  }
}

/** A circuit's hash outlives anything it remembers: the failure window and the open period. */
function ttlOf(settings: CircuitBreakerSettings): number {
  return 2 * (settings.windowMs + settings.cooldownMs) + 60_000;
}

function toState(value: unknown): CircuitState {
  return value === 'open' || value === 'half_open' ? value : 'closed';
}
