import { describeLeaseStoreContract } from '../lease-store.contract.js';
import { MemoryLeaseStore } from './memory-lease-store.js';

describeLeaseStoreContract('memory', async () => new MemoryLeaseStore());
