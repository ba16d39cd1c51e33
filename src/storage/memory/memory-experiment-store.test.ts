import { describeExperimentStoreContract } from '../experiment-store.contract.js';
import { MemoryExperimentStore } from './memory-experiment-store.js';

describeExperimentStoreContract('memory', async () => ({ store: new MemoryExperimentStore(), cleanup: async () => {} }));
