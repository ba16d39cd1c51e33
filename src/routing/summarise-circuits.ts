import type { CircuitState } from '../core/index.js';
import type { CircuitSnapshot } from './circuit-breaker-store.js';

export interface ProviderCircuitReport {
  /** The provider's worst target: open if any target is open, else half_open if any is, else closed. */
  circuit: CircuitState;
  /** Each upstream model's breaker that is not closed. */
  targets: Record<string, CircuitState>;
  /** Each open target's cooldown end (ISO time): when a probe may go, for the dashboard's countdown. */
  cooldowns: Record<string, string>;
}

const SEVERITY: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** Breakers are per target (provider + model); readiness reports them per provider. */
export function summariseCircuits(providers: readonly string[], snapshot: readonly CircuitSnapshot[]): Record<string, ProviderCircuitReport> {
  const report: Record<string, ProviderCircuitReport> = {};
  for (const provider of providers) report[provider] = { circuit: 'closed', targets: {}, cooldowns: {} };
  for (const circuit of snapshot) {
    const entry = report[circuit.provider];
    if (entry === undefined || circuit.state === 'closed') continue;
    entry.targets[circuit.model] = circuit.state;
    if (circuit.openUntil !== null) entry.cooldowns[circuit.model] = new Date(circuit.openUntil).toISOString();
    if (SEVERITY[circuit.state] > SEVERITY[entry.circuit]) entry.circuit = circuit.state;
  }
  return report;
}
