import type { GatewayEvent } from '../core/index.js';
import type { EventBus } from '../lib/index.js';
import type { RequestLogStore } from '../storage/index.js';
import type { Logger } from './create-logger.js';
import type { GatewayMetrics } from './metrics.js';
import { RequestLogWriter } from './request-log-writer.js';
import { RetentionSweeper } from './retention-sweeper.js';

export interface ObservabilitySettings {
  requestLog: { enabled: boolean; flush_interval_ms: number; batch_size: number; max_queue_rows: number };
  retentionDays: number;
  store: RequestLogStore;
  /** Where rows spill while the database is slow or down. */
  spillDirectory: string;
  events: EventBus<GatewayEvent>;
  logger: Logger;
  metrics: GatewayMetrics;
}

export interface Observability {
  /** Writes every row queued so far (tests and shutdown). */
  flush(): Promise<void>;
  /** Writes what is left and stops the background work. */
  close(): Promise<void>;
}

/** The subscribers that turn the gateway's events into the request log, and its retention. */
export function createObservability(settings: ObservabilitySettings): Observability {
  const writer = new RequestLogWriter({
    store: settings.store,
    spillDirectory: settings.spillDirectory,
    flushIntervalMs: settings.requestLog.flush_interval_ms,
    batchSize: settings.requestLog.batch_size,
    maxQueueRows: settings.requestLog.max_queue_rows,
    logger: settings.logger,
    metrics: settings.metrics,
  });
  if (settings.requestLog.enabled) {
    settings.events.subscribe(writer.handle);
    writer.start();
  }
  const sweeper = settings.retentionDays > 0
    ? new RetentionSweeper({ store: settings.store, retentionDays: settings.retentionDays, logger: settings.logger })
    : null;
  sweeper?.start();
  return {
    flush: () => writer.flush(),
    async close() {
      await writer.close();
      await sweeper?.stop();
    },
  };
}
