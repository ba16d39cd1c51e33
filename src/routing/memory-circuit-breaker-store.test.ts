import { MemoryCircuitBreakerStore } from './circuit-breaker-store.js';
import { describeCircuitBreakerStoreContract } from '../storage/circuit-breaker-store.contract.js';

describeCircuitBreakerStoreContract('memory', async () => new MemoryCircuitBreakerStore());
