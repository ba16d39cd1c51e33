/**
 * Webhooks waiting to be delivered, at least once, by any instance. A message's body is fixed when
 * it is enqueued, so every retry signs and sends the same bytes under the same `webhook-id`.
 */
export interface NewWebhookMessage {
  /** The Standard Webhooks `webhook-id`: stable across retries, so receivers can drop duplicates. */
  id: string;
  /**
   * Unique per message: several instances (or a restarted one) enqueueing the same event for the
   * same target store it once. E.g. `job:video_123:video.completed:https://…`.
   */
  dedupeKey: string;
  url: string;
  /** Names the signing secret (a configured target); the secret itself is never stored. */
  secretRef: string;
  eventType: string;
  payload: string;
  tenantId: string | null;
  /** Epoch ms. */
  createdAt: number;
}

export type WebhookMessageStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookMessage extends NewWebhookMessage {
  status: WebhookMessageStatus;
  /** Delivery attempts made so far. */
  attempts: number;
  /** Epoch ms when the next attempt is due (pending messages). */
  nextAttemptAt: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** The receiver's HTTP status on the last attempt; null when none answered. */
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

export interface WebhookAttemptResult {
  /** Epoch ms when the attempt ended. */
  at: number;
  status: number | null;
  error: string | null;
  /** When to try again; null gives up (the message becomes `failed`). */
  retryAt: number | null;
}

export interface WebhookOutboxStore {
  /** Stores a pending message due now; false (and nothing changes) when its dedupe key exists. */
  enqueue(message: NewWebhookMessage): Promise<boolean>;
  /**
   * Stores several messages at once (one statement: a claimer sees all of them or none, so they
   * can be digested together); those whose dedupe key exists are skipped. Resolves with how many were new.
   */
  enqueueAll(messages: readonly NewWebhookMessage[]): Promise<number>;
  /**
   * Leases up to `limit` pending messages due at `now` whose lease is free or expired, oldest due
   * first, to `owner` until `now + leaseMs`. Concurrent claimers never receive the same message.
   */
  claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<WebhookMessage[]>;
  /** Records a successful delivery; false when `owner` no longer holds the lease. */
  markDelivered(id: string, owner: string, at: number, status: number): Promise<boolean>;
  /** Records a failed attempt and frees the lease; false when `owner` no longer holds it. */
  markAttemptFailed(id: string, owner: string, result: WebhookAttemptResult): Promise<boolean>;
  get(id: string): Promise<WebhookMessage | null>;
  /** The newest messages first, for a delivery log. */
  listRecent(limit: number, tenantId?: string): Promise<WebhookMessage[]>;
}
