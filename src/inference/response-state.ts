import { GatewayError } from '../core/index.js';
import type { Principal } from '../policies/index.js';
import { DisabledResponseStore } from '../storage/index.js';
import type { ResponseStore, StoredResponse } from '../storage/index.js';

export interface ResponseStateSettings {
  store: ResponseStore;
  /** False when `responses.store` is off: nothing is kept, whatever a request asks. */
  enabled: boolean;
  /** How long a stored response lives; null = until deleted. */
  retentionMs: number | null;
  /** Epoch ms. */
  now?: () => number;
}

/**
 * The Responses API state Sluice owns: stored responses, scoped to their owner, and the context
 * a `previous_response_id` stands for. Because the state lives here and not with a provider, a
 * chained turn can be answered by any provider, on any instance sharing the database.
 */
export class ResponseState {
  readonly enabled: boolean;
  private readonly store: ResponseStore;
  private readonly retentionMs: number | null;
  private readonly now: () => number;

  constructor(settings: ResponseStateSettings) {
    this.store = settings.store;
    this.enabled = settings.enabled;
    this.retentionMs = settings.retentionMs;
    this.now = settings.now ?? Date.now;
  }

  /** Loads a response of this caller's; another owner's id, or an expired one, is not found. */
  async get(id: string, principal: Principal, param: string | null = null): Promise<StoredResponse> {
    const record = await this.store.get(id, ownerOf(principal), this.now());
    if (record === null) throw new GatewayError('not_found', `Response with id '${id}' not found.`, { param });
    return record;
  }

  async delete(id: string, principal: Principal): Promise<void> {
    if (!(await this.store.delete(id, ownerOf(principal)))) {
      throw new GatewayError('not_found', `Response with id '${id}' not found.`);
    }
  }

  /** Writes the response durably; the caller awaits it before the client sees the answer end. */
  async save(record: { id: string; principal: Principal; response: Record<string, unknown>; inputItems: Array<Record<string, unknown>> }): Promise<void> {
    const createdAt = this.now();
    await this.store.put({
      id: record.id,
      owner: ownerOf(record.principal),
      createdAt,
      expiresAt: this.retentionMs === null ? null : createdAt + this.retentionMs,
      response: record.response,
      inputItems: record.inputItems,
    });
  }

  /** Deletes expired responses every `intervalMs`; returns the stop function. */
  startSweeper(intervalMs: number, onError: (error: unknown) => void): () => void {
    if (this.retentionMs === null) return () => {};
    const timer = setInterval(() => {
      this.store.deleteExpired(this.now()).catch(onError);
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/**
 * Responses belong to the tenant (any key of the tenant may continue them), else to the key,
 * else to the principal itself (the master key, a JWT subject).
 */
export function ownerOf(principal: Principal): string {
  if (principal.tenantId !== null) return `tenant:${principal.tenantId}`;
  if (principal.keyId !== null) return `key:${principal.keyId}`;
  return principal.limitSubject ?? `principal:${principal.label}`;
}

/** `responses.store` off gets the disabled store: nothing is written and every lookup misses. */
export function createResponseState(
  settings: { store: boolean; retention_days: number },
  database: { responses: ResponseStore },
  clock: { now(): number },
): ResponseState {
  return new ResponseState({
    now: () => clock.now(),
    store: settings.store ? database.responses : new DisabledResponseStore(),
    enabled: settings.store,
    retentionMs: settings.retention_days > 0 ? settings.retention_days * 86_400_000 : null,
  });
}
