import type {
  CircuitAdmission, CircuitBreakerSettings, CircuitBreakerStore, CircuitKey, CircuitOutcome, CircuitSnapshot, CircuitState, CircuitTransition,
} from '../core/index.js';

export type {
  CircuitAdmission, CircuitBreakerSettings, CircuitBreakerStore, CircuitKey, CircuitOutcome, CircuitSnapshot, CircuitTransition,
};

interface Circuit {
  key: CircuitKey;
  state: CircuitState;
  failures: number[];
  openedAt: number;
  cooldownMs: number;
  successes: number;
  probesInFlight: number;
}

/** Half-open lets one probe through at a time; others are told to come back shortly. */
const HALF_OPEN_RETRY_AFTER_MS = 1000;

/** Breaker state in this process's memory (each gateway instance has its own). */
export class MemoryCircuitBreakerStore implements CircuitBreakerStore {
  private readonly circuits = new Map<string, Circuit>();

  admit(key: CircuitKey, settings: CircuitBreakerSettings, now: number): CircuitAdmission {
    const circuit = this.circuits.get(keyOf(key));
    if (circuit === undefined || circuit.state === 'closed') return { allowed: true, probe: false, transition: null };
    let transition: CircuitTransition | null = null;
    if (circuit.state === 'open') {
      const remaining = circuit.openedAt + settings.cooldownMs - now;
      if (remaining > 0) return { allowed: false, retryAfterMs: remaining, transition: null };
      circuit.state = 'half_open';
      circuit.successes = 0;
      circuit.probesInFlight = 0;
      transition = { from: 'open', to: 'half_open' };
    }
    if (circuit.probesInFlight >= 1) {
      return { allowed: false, retryAfterMs: Math.min(HALF_OPEN_RETRY_AFTER_MS, settings.cooldownMs), transition };
    }
    circuit.probesInFlight += 1;
    return { allowed: true, probe: true, transition };
  }

  record(
    key: CircuitKey, outcome: CircuitOutcome, probe: boolean, settings: CircuitBreakerSettings, now: number,
  ): CircuitTransition | null {
    const id = keyOf(key);
    let circuit = this.circuits.get(id);
    if (circuit === undefined) {
      if (outcome !== 'failure') return null;
      circuit = { key, state: 'closed', failures: [], openedAt: 0, cooldownMs: settings.cooldownMs, successes: 0, probesInFlight: 0 };
      this.circuits.set(id, circuit);
    }
    circuit.cooldownMs = settings.cooldownMs;
    if (probe) circuit.probesInFlight = Math.max(0, circuit.probesInFlight - 1);
    if (outcome === 'neutral') return null;
    if (circuit.state === 'half_open') {
      if (outcome === 'failure') return this.open(circuit, now, 'half_open');
      if (!probe) return null;
      circuit.successes += 1;
      if (circuit.successes < settings.halfOpenSuccesses) return null;
      circuit.state = 'closed';
      circuit.failures = [];
      return { from: 'half_open', to: 'closed' };
    }
    if (circuit.state === 'open' || outcome === 'success') return null;
    circuit.failures = circuit.failures.filter((at) => at > now - settings.windowMs);
    circuit.failures.push(now);
    if (circuit.failures.length >= settings.failureThreshold) return this.open(circuit, now, 'closed');
    return null;
  }

  async snapshot(now: number): Promise<CircuitSnapshot[]> {
    return [...this.circuits.values()].map((circuit) => {
      const openUntil = circuit.openedAt + circuit.cooldownMs;
      const state = circuit.state === 'open' && now >= openUntil ? 'half_open' : circuit.state;
      return { ...circuit.key, state, openUntil: state === 'open' ? openUntil : null };
    });
  }

  private open(circuit: Circuit, now: number, from: CircuitState): CircuitTransition {
    circuit.state = 'open';
    circuit.openedAt = now;
    circuit.failures = [];
    circuit.successes = 0;
    return { from, to: 'open' };
  }
}

function keyOf(key: CircuitKey): string {
  return `${key.provider}\u0000${key.model}`;
}
