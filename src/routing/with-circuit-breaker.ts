import { GatewayError } from '../core/index.js';
import type { CallContext, ChatRequest, ChatStream, EventSink, Provider } from '../core/index.js';
import { systemClock } from '../lib/index.js';
import type { Clock } from '../lib/index.js';
import type {
  CircuitBreakerSettings, CircuitBreakerStore, CircuitKey, CircuitOutcome, CircuitTransition,
} from './circuit-breaker-store.js';
import { CircuitOpenError } from './circuit-open-error.js';
import { isRetryable, onStreamEnd } from './route-helpers.js';

export interface CircuitBreakerDependencies {
  store: CircuitBreakerStore;
  clock?: Clock | undefined;
  events?: EventSink | undefined;
}

/**
 * How a call's end counts for the breaker: retryable failures (5xx, 429, timeouts, refused or
 * reset connections) count against the target; a client that left counts for nothing; any other
 * answer, even a 400, shows the upstream is up.
 */
export function circuitOutcome(error: unknown): CircuitOutcome {
  if (error === null) return 'success';
  if (error instanceof GatewayError && error.code === 'client_closed') return 'neutral';
  if (error instanceof CircuitOpenError) return 'neutral';
  return isRetryable(error) ? 'failure' : 'success';
}

/**
 * Skips a target whose circuit is open (throwing CircuitOpenError, which fallbacks move past),
 * and reports every call's outcome to the store. A stream counts as a success at its commit
 * point and as a failure if it breaks afterwards.
 */
export function withCircuitBreaker(
  route: Provider, key: CircuitKey, settings: CircuitBreakerSettings, dependencies: CircuitBreakerDependencies,
): Provider {
  const clock = dependencies.clock ?? systemClock;
  const { store, events } = dependencies;

  function announce(transition: CircuitTransition | null): void {
    if (transition === null || events === undefined) return;
    events.emit({
      type: 'circuit-state',
      change: { provider: key.provider, model: key.model, from: transition.from, to: transition.to, at: clock.now() },
    });
  }

  async function report(outcome: CircuitOutcome, probe: boolean): Promise<void> {
    announce(await store.record(key, outcome, probe, settings, clock.now()));
  }

  async function guarded<T>(call: () => Promise<T>): Promise<{ result: T; probe: boolean }> {
    const admission = await store.admit(key, settings, clock.now());
    announce(admission.transition);
    if (!admission.allowed) throw new CircuitOpenError(key.provider, key.model, admission.retryAfterMs);
    try {
      return { result: await call(), probe: admission.probe };
    } catch (error) {
      await report(circuitOutcome(error), admission.probe);
      throw error;
    }
  }

  async function simple<T>(call: () => Promise<T>): Promise<T> {
    const { result, probe } = await guarded(call);
    await report('success', probe);
    return result;
  }

  return {
    name: route.name,
    chat: (request: ChatRequest, context: CallContext) => simple(() => route.chat(request, context)),
    embed: (request, context) => simple(() => route.embed(request, context)),
    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      const { result, probe } = await guarded(() => route.streamChat(request, context));
      await report('success', probe);
      return onStreamEnd(result, (error) => {
        if (error !== null && circuitOutcome(error) === 'failure') void report('failure', false);
      });
    },
  };
}
