import { describeJobStoreContract } from '../job-store.contract.js';
import { MemoryJobStore } from './memory-job-store.js';

describeJobStoreContract('memory', async () => ({ store: new MemoryJobStore(), cleanup: async () => {} }));
