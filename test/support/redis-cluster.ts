import { afterAll, beforeAll } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedisServer } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const run = promisify(execFile);

export interface RedisClusterServer {
  /** Every node, comma-separated: the form `storage.redis_url` takes for a cluster. */
  url: string;
  nodes: RedisServer[];
  stop(): Promise<void>;
}

/**
 * Starts a real Redis Cluster of `masters` nodes (no replicas) on free ports: each
 * `redis-server --cluster-enabled yes`, joined by `redis-cli --cluster create`, and waits until
 * every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServer> {
  const nodes: RedisServer[] = [];
  try {
    for (let index = 0; index < masters; index++) {
      nodes.push(await startRedisServer(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']));
    }
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(node.port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`redis cluster node ${node.port} not ok: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return {
    url: nodes.map((node) => node.url).join(','),
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}

export interface SuiteRedisServers {
  server(): RedisServer;
  cluster(): RedisClusterServer;
}

/** A standalone redis-server and a three-master cluster for one test file, started before its tests and stopped after. */
export function redisServersForSuite(): SuiteRedisServers {
  let server: RedisServer | undefined;
  let cluster: RedisClusterServer | undefined;
  beforeAll(async () => {
    [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), cluster?.stop()]);
  });
  return {
    server: () => required(server),
    cluster: () => required(cluster),
  };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the Redis servers are not started yet (use them inside tests or hooks)');
  return value;
}
