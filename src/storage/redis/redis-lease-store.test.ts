import { afterAll, beforeAll } from 'vitest';
import { startRedisCluster } from '../../../test/support/redis-cluster.js';
import type { RedisClusterServer } from '../../../test/support/redis-cluster.js';
import { startRedisServer } from '../../../test/support/redis-server.js';
import type { RedisServer } from '../../../test/support/redis-server.js';
import { describeLeaseStoreContract } from '../lease-store.contract.js';
import { RedisLeaseStore } from './redis-lease-store.js';

let server: RedisServer;
let cluster: RedisClusterServer;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster()]);
});
afterAll(async () => {
  await Promise.all([server.stop(), cluster.stop()]);
});

describeLeaseStoreContract('redis', async () => new RedisLeaseStore({ url: server.url, commandTimeoutMs: 1000 }));
describeLeaseStoreContract('redis cluster of three masters', async () => new RedisLeaseStore({ url: cluster.url, commandTimeoutMs: 1000 }));
