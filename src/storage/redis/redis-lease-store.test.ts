import { redisServersForSuite } from '../../../test/support/redis-cluster.js';
import { describeLeaseStoreContract } from '../lease-store.contract.js';
import { RedisLeaseStore } from './redis-lease-store.js';

const redis = redisServersForSuite();

describeLeaseStoreContract('redis', async () => new RedisLeaseStore({ url: redis.server().url, commandTimeoutMs: 1000 }));
describeLeaseStoreContract('redis cluster of three masters', async () => new RedisLeaseStore({ url: redis.cluster().url, commandTimeoutMs: 1000 }));
