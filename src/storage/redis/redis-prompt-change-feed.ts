import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { PromptChange, PromptChangeFeed } from '../prompt-change-feed.js';

export const PROMPT_CHANNEL = 'sluice:prompts:changed';

const changeSchema = z.object({ tenantId: z.string().nullable(), name: z.string() });

export interface RedisPromptChangeFeedOptions {
  url: string;
  /** A publish gives up after this long (the cache TTL covers a lost message). */
  commandTimeoutMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Redis pub/sub between instances: one connection publishes, one subscribes. ioredis is loaded
 * only when a feed is opened, so a gateway without Redis never loads it.
 */
export class RedisPromptChangeFeed implements PromptChangeFeed {
  readonly kind = 'redis';
  private readonly options: RedisPromptChangeFeedOptions;
  private connections: Promise<{ publisher: Redis; subscriber: Redis }> | null = null;
  private subscriberReady = false;

  constructor(options: RedisPromptChangeFeedOptions) {
    this.options = options;
  }

  async publish(change: PromptChange): Promise<void> {
    try {
      const { publisher } = await this.connect();
      await publisher.publish(PROMPT_CHANNEL, JSON.stringify({ tenantId: change.tenantId, name: change.name }));
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  async subscribe(onChange: (change: PromptChange) => void, onReset: () => void): Promise<void> {
    const { subscriber } = await this.connect();
    let connectedBefore = false;
    subscriber.on('ready', () => {
      this.subscriberReady = true;
      // Messages published while we were away are lost: everything cached may be stale.
      if (connectedBefore) onReset();
      connectedBefore = true;
    });
    subscriber.on('close', () => {
      this.subscriberReady = false;
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== PROMPT_CHANNEL) return;
      try {
        const parsed = changeSchema.safeParse(JSON.parse(message));
        if (parsed.success) onChange(parsed.data);
      } catch (error) {
        this.options.onError?.(error);
      }
    });
    if (subscriber.status === 'ready') {
      this.subscriberReady = true;
      connectedBefore = true;
    }
    // Subscribing waits for the connection; ioredis subscribes again by itself after a reconnect.
    await subscriber.subscribe(PROMPT_CHANNEL);
  }

  status(): 'ok' | 'unreachable' {
    return this.subscriberReady ? 'ok' : 'unreachable';
  }

  async close(): Promise<void> {
    if (this.connections === null) return;
    const { publisher, subscriber } = await this.connections;
    publisher.disconnect();
    subscriber.disconnect();
  }

  private connect(): Promise<{ publisher: Redis; subscriber: Redis }> {
    this.connections ??= (async () => {
      const { Redis: RedisClient } = await import('ioredis');
      const options = {
        commandTimeout: this.options.commandTimeoutMs ?? 1000,
        connectTimeout: 2000,
        maxRetriesPerRequest: 1,
        retryStrategy: (times: number) => Math.min(times * 100, 2000),
      };
      const publisher = new RedisClient(this.options.url, options);
      // A subscriber waits for messages indefinitely: no command timeout on it.
      const subscriber = new RedisClient(this.options.url, { ...options, commandTimeout: undefined, maxRetriesPerRequest: null });
      // Errors surface on commands; connection errors are expected while Redis is down.
      publisher.on('error', () => {});
      subscriber.on('error', () => {});
      return { publisher, subscriber };
    })();
    return this.connections;
  }
}
