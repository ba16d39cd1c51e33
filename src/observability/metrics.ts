import { Counter, Gauge, Registry } from './prom-client-core.js';
import { registerProcessMetrics } from './process-metrics.js';

/** The gateway's Prometheus metrics, on a registry of its own (never the global one). */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly unpricedCalls: Counter<'provider' | 'model'>;
  readonly requestLogRowsWritten: Counter;
  readonly requestLogRowsSpilled: Counter;
  readonly requestLogRowsReplayed: Counter;
  readonly requestLogWriteFailures: Counter;
  readonly requestLogRowsQuarantined: Counter;
  readonly requestLogQueueRows: Gauge;
}

export function createMetrics(options: { processMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) registerProcessMetrics(registry, 'sluice_');
  return {
    registry,
    unpricedCalls: new Counter({
      name: 'sluice_unpriced_calls_total',
      help: 'Calls whose model has no price (neither built in nor in config); priced 0',
      labelNames: ['provider', 'model'],
      registers: [registry],
    }),
    requestLogRowsWritten: new Counter({
      name: 'sluice_request_log_rows_written_total', help: 'Request-log rows written to the database', registers: [registry],
    }),
    requestLogRowsSpilled: new Counter({
      name: 'sluice_request_log_rows_spilled_total', help: 'Request-log rows written to the local spill file because the database was slow or down', registers: [registry],
    }),
    requestLogRowsReplayed: new Counter({
      name: 'sluice_request_log_rows_replayed_total', help: 'Spilled request-log rows replayed into the database', registers: [registry],
    }),
    requestLogWriteFailures: new Counter({
      name: 'sluice_request_log_write_failures_total', help: 'Failed or timed-out request-log batch writes', registers: [registry],
    }),
    requestLogRowsQuarantined: new Counter({
      name: 'sluice_request_log_rows_quarantined_total',
      help: 'Request-log rows the database refused even alone, kept in the quarantine file of the state directory',
      registers: [registry],
    }),
    requestLogQueueRows: new Gauge({
      name: 'sluice_request_log_queue_rows', help: 'Request-log rows waiting in memory for the next flush', registers: [registry],
    }),
  };
}
