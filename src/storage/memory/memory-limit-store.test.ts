import { describeLimitStoreContract } from '../limit-store.contract.js';
import { MemoryLimitStore } from './memory-limit-store.js';

describeLimitStoreContract('memory', async () => new MemoryLimitStore());
