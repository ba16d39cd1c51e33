import { describeAlertStateStoreContract } from '../alert-state-store.contract.js';
import { MemoryAlertStateStore } from './memory-alert-state-store.js';

describeAlertStateStoreContract('memory', async () => new MemoryAlertStateStore());
