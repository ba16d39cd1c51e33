import { Agent } from 'undici';
import type { Clock } from '../lib/index.js';
import { TimerLoop, webhookHeaders } from '../lib/index.js';
import type { WebhookMessage, WebhookOutboxStore } from '../storage/index.js';

/** OpenAI's and Standard Webhooks' usual schedule: 1 min, 5 min, 30 min, 2 h, 6 h, then give up. */
export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [60_000, 300_000, 1_800_000, 7_200_000, 21_600_000];

export interface WebhookAttemptReport {
  message: WebhookMessage;
  /** The receiver's status, or null when none answered. */
  status: number | null;
  delivered: boolean;
  error: string | null;
  /** When the next attempt is due; null when delivered or given up. */
  retryAt: number | null;
}

/** Several claimed messages sent as one POST (a digest): signed with `id`, carrying `payload`. */
export interface WebhookDigest {
  /** All for the same URL and secret; each is marked delivered (or retried) with the POST's outcome. */
  members: readonly WebhookMessage[];
  /** The digest's `webhook-id`: derived from its members, so a retry of the same members repeats it. */
  id: string;
  payload: string;
}

export interface WebhookDelivererOptions {
  store: WebhookOutboxStore;
  /** The `whsec_…` secret a message's `secretRef` names; null when it is no longer configured. */
  resolveSecret: (secretRef: string) => string | null;
  clock: Clock;
  /** This instance's id, written as the lease owner. */
  owner: string;
  /** Waits after the 1st, 2nd, … failed attempt; past the last one the message fails for good. */
  retryDelaysMs?: readonly number[];
  /** How often the outbox is checked when nothing woke the deliverer. */
  pollIntervalMs?: number;
  /** How long a claimed message stays with this instance (longer than one attempt may take). */
  leaseMs?: number;
  batchSize?: number;
  /** Each attempt: time to the receiver's answer. */
  timeoutMs?: number;
  /**
   * Groups the messages claimed in one round into POSTs (e.g. one digest per alert channel);
   * absent: every message is its own POST. Must return every message exactly once.
   */
  digest?: (messages: readonly WebhookMessage[]) => WebhookDigest[];
  /** Told after every attempt (logging, metrics); must not throw. */
  onAttempt?: (report: WebhookAttemptReport) => void;
  onError?: (error: unknown) => void;
}

/**
 * Delivers the outbox at least once: claims due messages with a lease, POSTs each one signed the
 * Standard Webhooks way, and on a failure (no answer, or a status other than 2xx) schedules the
 * next attempt. Redirects are not followed: a receiver must answer at the configured URL.
 */
export class WebhookDeliverer {
  private readonly options: Required<Omit<WebhookDelivererOptions, 'onAttempt' | 'onError' | 'digest'>> &
    Pick<WebhookDelivererOptions, 'onAttempt' | 'onError' | 'digest'>;
  private readonly agent: Agent;
  private readonly loop: TimerLoop;

  constructor(options: WebhookDelivererOptions) {
    this.options = {
      retryDelaysMs: DEFAULT_WEBHOOK_RETRY_DELAYS_MS, pollIntervalMs: 1000, leaseMs: 60_000, batchSize: 20, timeoutMs: 10_000,
      ...options,
    };
    const timeout = this.options.timeoutMs;
    this.agent = new Agent({ headersTimeout: timeout, bodyTimeout: timeout, connect: { timeout }, connections: 16 });
    this.loop = new TimerLoop(this.options.clock, async () => {
      await this.runOnce();
      return this.options.pollIntervalMs;
    }, { retryDelayMs: this.options.pollIntervalMs, onError: this.options.onError });
  }

  start(): void {
    this.loop.start();
  }

  /** Looks at the outbox now (a message was just enqueued) instead of at the next tick. */
  wake(): void {
    this.loop.wake();
  }

  /** Claims and attempts every due message once; resolves with the number attempted. */
  async runOnce(): Promise<number> {
    const { store, clock, owner, leaseMs, batchSize } = this.options;
    let attempted = 0;
    for (;;) {
      const batch = await store.claimDue(owner, clock.now(), leaseMs, batchSize);
      const posts = this.options.digest?.(batch) ?? batch.map((message) => ({ members: [message], id: message.id, payload: message.payload }));
      await Promise.all(posts.map((post) => this.attempt(post)));
      attempted += batch.length;
      if (batch.length < batchSize) return attempted;
    }
  }

  /** Resolves when the run in progress (if any) has finished: tests await it after moving a manual clock. */
  whenIdle(): Promise<void> {
    return this.loop.whenIdle();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.agent.close();
  }

  private async attempt(post: WebhookDigest): Promise<void> {
    const { store, clock, owner } = this.options;
    const first = post.members[0];
    if (first === undefined) return;
    const outcome = await this.post(first, post.id, post.payload);
    const at = clock.now();
    for (const message of post.members) {
      if (outcome.delivered) {
        await store.markDelivered(message.id, owner, at, outcome.status ?? 200);
        this.options.onAttempt?.({ message, status: outcome.status, delivered: true, error: null, retryAt: null });
        continue;
      }
      const delay = this.options.retryDelaysMs[message.attempts];
      const retryAt = delay === undefined || outcome.permanent ? null : at + delay;
      await store.markAttemptFailed(message.id, owner, { at, status: outcome.status, error: outcome.error, retryAt });
      this.options.onAttempt?.({ message, status: outcome.status, delivered: false, error: outcome.error, retryAt });
    }
  }

  private async post(
    message: WebhookMessage, id: string, payload: string,
  ): Promise<{ delivered: boolean; status: number | null; error: string | null; permanent: boolean }> {
    const secret = this.options.resolveSecret(message.secretRef);
    if (secret === null) {
      return { delivered: false, status: null, error: `no signing secret configured for "${message.secretRef}"`, permanent: true };
    }
    try {
      const timestamp = Math.floor(this.options.clock.now() / 1000);
      const url = new URL(message.url);
      const response = await this.agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'sluice-webhooks/1',
          ...webhookHeaders(secret, id, timestamp, payload),
        },
        body: payload,
      });
      await response.body.dump();
      const delivered = response.statusCode >= 200 && response.statusCode < 300;
      return { delivered, status: response.statusCode, error: delivered ? null : `HTTP ${response.statusCode}`, permanent: false };
    } catch (error) {
      const code = error !== null && typeof error === 'object' && 'code' in error ? String(error.code) : null;
      return { delivered: false, status: null, error: code ?? (error instanceof Error ? error.message : 'delivery failed'), permanent: false };
    }
  }
}
