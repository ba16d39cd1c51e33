import { describeWebhookOutboxStoreContract } from '../webhook-outbox-store.contract.js';
import { MemoryWebhookOutboxStore } from './memory-webhook-outbox-store.js';

describeWebhookOutboxStoreContract('memory', async () => ({ store: new MemoryWebhookOutboxStore(), cleanup: async () => {} }));
