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

  /** Records an outcome; a promise only when the store is shared (the memory store answers at once). */
  function report(outcome: CircuitOutcome, probe: boolean): Promise<void> | undefined {
    const transition = store.record(key, outcome, probe, settings, clock.now());
    if (transition instanceof Promise) return transition.then(announce);
    announce(transition);
    return undefined;
  }

  async function guarded<T>(call: () => Promise<T>): Promise<T> {
    const pending = store.admit(key, settings, clock.now());
    const admission = pending instanceof Promise ? await pending : pending;
    announce(admission.transition);
    if (!admission.allowed) throw new CircuitOpenError(key.provider, key.model, admission.retryAfterMs);
    let result: T;
    try {
      result = await call();
    } catch (error) {
      const reported = report(circuitOutcome(error), admission.probe);
      if (reported !== undefined) await reported;
      throw error;
    }
    const reported = report('success', admission.probe);
    if (reported !== undefined) await reported;
    return result;
  }

  return {
    name: route.name,
    chat: (request: ChatRequest, context: CallContext) => guarded(() => route.chat(request, context)),
    embed: (request, context) => guarded(() => route.embed(request, context)),
    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      const result = await guarded(() => route.streamChat(request, context));
      return onStreamEnd(result, (error) => {
        if (error !== null && circuitOutcome(error) === 'failure') void report('failure', false)?.catch(() => undefined);
      });
    },
  };
}
