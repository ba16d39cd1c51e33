import { describeResponseStoreContract } from '../response-store.contract.js';
import { MemoryResponseStore } from './memory-response-store.js';

describeResponseStoreContract('memory', async () => ({ store: new MemoryResponseStore(), cleanup: async () => {} }));
