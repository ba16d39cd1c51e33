import { describeKeyStoreContract } from '../key-store.contract.js';
import { MemoryKeyStore } from './memory-key-store.js';

describeKeyStoreContract('memory', async () => ({ store: new MemoryKeyStore(), cleanup: async () => {} }));
