import type { Cluster, Redis } from 'ioredis';

/** A standalone Redis or a Redis Cluster: both run the same commands and Lua scripts. */
export type RedisClient = Redis | Cluster;

/** Where Redis is: one URL, or the seed nodes of a Redis Cluster. */
export interface RedisTarget {
  url: string;
  /** Seed nodes of a cluster; several comma-separated nodes in `url` mean a cluster too. */
  cluster?: readonly string[] | undefined;
}

export interface RedisConnectionOptions {
  /** Every command gives up after this long, so a hung Redis never hangs a request. */
  commandTimeoutMs: number;
}

/** The cluster seed nodes a target names, or null for a standalone Redis. */
export function clusterNodesOf(target: RedisTarget): string[] | null {
  if (target.cluster !== undefined && target.cluster.length > 0) return [...target.cluster];
  const nodes = target.url.split(',').map((node) => node.trim()).filter((node) => node !== '');
  return nodes.length > 1 ? nodes : null;
}

/**
 * Opens a client for the target. ioredis is imported here, on first use, so a gateway without
 * Redis never loads it. Errors surface on commands; connection error events are expected while
 * Redis is down and are swallowed.
 */
export async function connectRedis(target: RedisTarget, options: RedisConnectionOptions): Promise<RedisClient> {
  const { Cluster, Redis } = await import('ioredis');
  const common = {
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: Math.max(1000, options.commandTimeoutMs),
    maxRetriesPerRequest: 0,
  };
  const nodes = clusterNodesOf(target);
  let client: RedisClient;
  if (nodes === null) {
    client = new Redis(target.url, { ...common, enableOfflineQueue: true, retryStrategy: (times) => Math.min(times * 100, 2000) });
  } else {
    const parsed = nodes.map(parseNode);
    const first = parsed[0];
    client = new Cluster(parsed.map(({ host, port }) => ({ host, port })), {
      redisOptions: {
        ...common,
        ...(first?.username === undefined ? {} : { username: first.username }),
        ...(first?.password === undefined ? {} : { password: first.password }),
        ...(first?.tls === true ? { tls: {} } : {}),
      },
      enableOfflineQueue: true,
      clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
    });
  }
  client.on('error', () => {});
  return client;
}

/** Resolves once the client can take commands, or rejects when the connection ends first. */
export async function redisReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('end', () => reject(new Error('redis connection ended')));
  });
}

interface ParsedNode {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
}

function parseNode(node: string): ParsedNode {
  const url = new URL(node.includes('://') ? node : `redis://${node}`);
  return {
    host: url.hostname,
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    tls: url.protocol === 'rediss:',
  };
}

/**
 * A store's own connection, opened in the background: commands await it, and a failed import or
 * connection surfaces on each command rather than at construction.
 */
export class RedisConnection {
  readonly client: Promise<RedisClient>;

  constructor(target: RedisTarget, options: RedisConnectionOptions) {
    this.client = connectRedis(target, options);
    this.client.catch(() => {});
  }

  async ping(): Promise<boolean> {
    try {
      return (await (await this.client).ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Resolves once connected (tests and startup checks). */
  async ready(): Promise<void> {
    await redisReady(await this.client);
  }

  async close(): Promise<void> {
    (await this.client.catch(() => null))?.disconnect();
  }
}

/** True when a `storage.redis_url` names the seed nodes of a Redis Cluster. */
export function isRedisCluster(url: string): boolean {
  return clusterNodesOf({ url }) !== null;
}
