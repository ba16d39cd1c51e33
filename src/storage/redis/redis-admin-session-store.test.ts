import { redisServersForSuite } from '../../../test/support/redis-cluster.js';
import { describeAdminSessionStoreContract } from '../admin-session-store.contract.js';
import { RedisAdminSessionStore } from './redis-admin-session-store.js';

const redis = redisServersForSuite();

describeAdminSessionStoreContract('redis', async () => new RedisAdminSessionStore({ url: redis.server().url, commandTimeoutMs: 1000, idleMs: 3_600_000 }));
