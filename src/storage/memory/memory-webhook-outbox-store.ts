import type { NewWebhookMessage, WebhookAttemptResult, WebhookMessage, WebhookOutboxStore } from '../webhook-outbox-store.js';

/** The outbox in one process's memory: for tests and a gateway without a database. */
export class MemoryWebhookOutboxStore implements WebhookOutboxStore {
  private readonly messages = new Map<string, WebhookMessage>();
  private readonly dedupeKeys = new Set<string>();

  async enqueue(message: NewWebhookMessage): Promise<boolean> {
    if (this.dedupeKeys.has(message.dedupeKey) || this.messages.has(message.id)) return false;
    this.dedupeKeys.add(message.dedupeKey);
    this.messages.set(message.id, {
      ...message, status: 'pending', attempts: 0, nextAttemptAt: message.createdAt, leaseOwner: null, leaseUntil: null,
      lastStatus: null, lastError: null, deliveredAt: null,
    });
    return true;
  }

  async enqueueAll(messages: readonly NewWebhookMessage[]): Promise<number> {
    let stored = 0;
    for (const message of messages) if (await this.enqueue(message)) stored += 1;
    return stored;
  }

  async claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<WebhookMessage[]> {
    const due = [...this.messages.values()]
      .filter((message) => message.status === 'pending' && message.nextAttemptAt <= now &&
        (message.leaseUntil === null || message.leaseUntil < now))
      .sort((left, right) => left.nextAttemptAt - right.nextAttemptAt)
      .slice(0, limit);
    for (const message of due) {
      message.leaseOwner = owner;
      message.leaseUntil = now + leaseMs;
    }
    return due.map((message) => ({ ...message }));
  }

  async markDelivered(id: string, owner: string, at: number, status: number): Promise<boolean> {
    const message = this.messages.get(id);
    if (message === undefined || message.leaseOwner !== owner || message.status !== 'pending') return false;
    Object.assign(message, {
      status: 'delivered', attempts: message.attempts + 1, lastStatus: status, lastError: null, deliveredAt: at,
      leaseOwner: null, leaseUntil: null,
    });
    return true;
  }

  async markAttemptFailed(id: string, owner: string, result: WebhookAttemptResult): Promise<boolean> {
    const message = this.messages.get(id);
    if (message === undefined || message.leaseOwner !== owner || message.status !== 'pending') return false;
    Object.assign(message, {
      status: result.retryAt === null ? 'failed' : 'pending', attempts: message.attempts + 1,
      nextAttemptAt: result.retryAt ?? message.nextAttemptAt, lastStatus: result.status, lastError: result.error,
      leaseOwner: null, leaseUntil: null,
    });
    return true;
  }

  async get(id: string): Promise<WebhookMessage | null> {
    const message = this.messages.get(id);
    return message === undefined ? null : { ...message };
  }

  async listRecent(limit: number, tenantId?: string): Promise<WebhookMessage[]> {
    return [...this.messages.values()]
      .filter((message) => tenantId === undefined || message.tenantId === tenantId)
      .sort((left, right) => right.createdAt - left.createdAt || (right.id < left.id ? -1 : 1))
      .slice(0, limit)
      .map((message) => ({ ...message }));
  }
}
