import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GatewayEvent } from '../core/index.js';
import { redactSecrets } from '../lib/index.js';
import { sanitizeRequestLogValues } from '../storage/index.js';
import type { RequestLogStore, RequestLogValues } from '../storage/index.js';
import type { GatewayMetrics } from './metrics.js';
import { ANONYMOUS_REFUSALS_PER_MINUTE, AnonymousRefusalLimit } from './anonymous-refusal-limit.js';
import { SpillFile } from './spill-file.js';
import { toRequestLogValues } from './to-request-log-values.js';

export interface RequestLogWriterOptions {
  store: RequestLogStore;
  /** Where rows go while the database is slow or down (the state directory); rows no database takes go to its quarantine file. */
  spillDirectory: string;
  /**
   * Resolves when the database answers (a trivial query). After a failed batch it tells a bad row
   * from a database that is down: only when it answers are the rows tried one by one and the ones
   * that still fail quarantined. Without it a failed batch is always spilled.
   */
  probe?: (() => Promise<void>) | undefined;
  /** Flush at least this often. */
  flushIntervalMs?: number;
  /** Flush as soon as this many rows wait; also the rows per INSERT. */
  batchSize?: number;
  /** Beyond this many waiting rows, the oldest go straight to the spill file. */
  maxQueueRows?: number;
  /** A batch write slower than this counts as failed and its rows are spilled. */
  writeTimeoutMs?: number;
  /** After a failure, the database is left alone this long (doubling up to maxRetryDelayMs). */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  logger: { warn(object: object, message: string): void; error(object: object, message: string): void };
  metrics?: GatewayMetrics | undefined;
  clock?: () => number;
  /** Rows per minute for requests refused for a missing or wrong key; more are counted, not written. */
  anonymousRefusalsPerMinute?: number | undefined;
}

/**
 * Writes one row per finished request, off the request path: `handle` only turns the summary into
 * flat values and queues them (the store writes them off the event loop: SQLite in a worker
 * thread, Postgres through its async pool). Rows are
 * written in batches every flushIntervalMs or batchSize rows. When the database is slow or down,
 * rows go to an append-only spill file and are replayed once it answers again; `close` writes
 * every queued row (to the database, else to the spill file) before it resolves.
 */
export class RequestLogWriter {
  private readonly store: RequestLogStore;
  private readonly spill: SpillFile;
  private readonly probe: (() => Promise<void>) | undefined;
  private readonly quarantinePath: string;
  private quarantineChain: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxQueueRows: number;
  private readonly writeTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly logger: RequestLogWriterOptions['logger'];
  private readonly metrics: GatewayMetrics | undefined;
  private readonly anonymousRefusals: AnonymousRefusalLimit;
  private readonly clock: () => number;
  private queue: RequestLogValues[] = [];
  private chain: Promise<void> = Promise.resolve();
  private scheduled: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private retryAt = 0;
  private closed = false;

  constructor(options: RequestLogWriterOptions) {
    this.store = options.store;
    this.spill = new SpillFile(options.spillDirectory);
    this.probe = options.probe;
    this.quarantinePath = join(options.spillDirectory, QUARANTINE_FILE);
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 500;
    this.maxQueueRows = options.maxQueueRows ?? 20_000;
    this.writeTimeoutMs = options.writeTimeoutMs ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.clock = options.clock ?? Date.now;
    this.anonymousRefusals = new AnonymousRefusalLimit(options.anonymousRefusalsPerMinute ?? ANONYMOUS_REFUSALS_PER_MINUTE, (count) => {
      this.logger.warn({ rows: count }, 'request log: requests refused for a missing or wrong key were not logged past the per-minute allowance');
    });
  }

  /** Starts the flush timer and replays what an earlier run left in the spill file. */
  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
    this.timer.unref();
    if (this.spill.pending) void this.flush();
  }

  /** The event subscriber: cheap, never throws, never waits. */
  readonly handle = (event: GatewayEvent): void => {
    if (event.type !== 'request-end') return;
    if (!this.anonymousRefusals.admit(event.summary, this.clock())) return;
    this.queue.push(toRequestLogValues(event.summary));
    if (this.queue.length > this.maxQueueRows) {
      // The database cannot keep up: the oldest rows go to disk rather than grow memory.
      const overflow = this.queue.splice(0, this.queue.length - this.maxQueueRows + this.batchSize);
      this.spillRows(overflow, 'queue full');
    }
    if (this.queue.length >= this.batchSize && this.scheduled === null) void this.flush();
  };

  get queuedRows(): number {
    return this.queue.length;
  }

  /** Writes every row queued so far (to the database or the spill file). */
  flush(): Promise<void> {
    if (this.scheduled !== null) return this.scheduled;
    const run = this.chain.then(() => {
      this.scheduled = null;
      return this.drain();
    }).catch((error: unknown) => this.logger.error({ err: error }, 'request log: flush failed'));
    this.scheduled = run;
    this.chain = run;
    return run;
  }

  /** Stops the timer and writes every queued row (to the database, else the spill file). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    await this.spill.settle();
    await this.quarantineChain;
  }

  /** Where quarantined rows are kept. */
  get quarantineFile(): string {
    return this.quarantinePath;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const rows = this.queue.splice(0, this.batchSize);
      this.metrics?.requestLogQueueRows.set(this.queue.length);
      if (this.clock() < this.retryAt) {
        this.spillRows(rows, 'database unavailable');
        continue;
      }
      const unwritten = await this.write(rows);
      this.metrics?.requestLogRowsWritten.inc(rows.length - unwritten.length);
      this.spillRows(unwritten, 'write failed');
    }
    this.metrics?.requestLogQueueRows.set(0);
    await this.spill.settle();
    // Spilled rows wait for the next start rather than delay a shutdown.
    if (this.spill.pending && !this.closed && this.clock() >= this.retryAt) {
      try {
        const { replayed, returned } = await this.spill.replay((rows) => this.write(rows), this.batchSize);
        if (returned > 0) this.logger.warn({ rows: returned }, 'request log: database unavailable while replaying; rows kept in the spill file');
        if (replayed > 0) {
          this.metrics?.requestLogRowsReplayed.inc(replayed);
          this.logger.warn({ rows: replayed }, 'request log: replayed spilled rows into the database');
        }
      } catch (error) {
        this.noteFailure(error);
      }
    }
  }

  /**
   * Writes a batch; answers the rows it could not write because the database is unavailable (the
   * caller spills them). When the batch fails but the database answers, its rows are tried one by
   * one and a row that fails alone is quarantined, so one bad row never stops the log.
   */
  private async write(batch: RequestLogValues[]): Promise<RequestLogValues[]> {
    const rows = batch.map(sanitizeRequestLogValues);
    let batchError: unknown;
    try {
      await this.withTimeout(this.store.insert(rows));
      this.noteSuccess();
      return [];
    } catch (error) {
      batchError = error;
    }
    if (!(batchError instanceof WriteTimeoutError) && await this.databaseAnswers()) {
      this.metrics?.requestLogWriteFailures.inc();
      const failed: Array<{ row: RequestLogValues; error: unknown }> = [];
      for (const [index, row] of rows.entries()) {
        try {
          await this.withTimeout(this.store.insert([row]));
        } catch (error) {
          if (error instanceof WriteTimeoutError) {
            // Slow, not refusing: the database is struggling, so the rest wait in the spill file.
            this.noteFailure(error);
            return [...failed.map((entry) => entry.row), ...rows.slice(index)];
          }
          failed.push({ row, error });
        }
      }
      this.noteSuccess();
      this.quarantine(failed);
      return [];
    }
    this.noteFailure(batchError);
    return rows;
  }

  /** True when the probe says the database answers; false when it fails or there is no probe. */
  private async databaseAnswers(): Promise<boolean> {
    if (this.probe === undefined) return false;
    try {
      await this.withTimeout(this.probe());
      return true;
    } catch {
      return false;
    }
  }

  private noteSuccess(): void {
    if (this.failures > 0) this.logger.warn({ failures: this.failures }, 'request log: database is back');
    this.failures = 0;
    this.retryAt = 0;
  }

  /**
   * Keeps rows no database write accepts in an owner-only JSON-lines file beside the spill file
   * (one `{ quarantinedAt, error, row }` per line, for an operator to inspect or re-import),
   * counts them and reports each one.
   */
  private quarantine(failed: ReadonlyArray<{ row: RequestLogValues; error: unknown }>): void {
    if (failed.length === 0) return;
    this.metrics?.requestLogRowsQuarantined.inc(failed.length);
    let text = '';
    for (const { row, error } of failed) {
      const reason = redactSecrets(error instanceof Error ? error.message : String(error)).slice(0, 1000);
      this.logger.error({ requestId: row[1], rowKey: row[0], reason, path: this.quarantinePath }, 'request log: a row the database refuses was quarantined');
      text += `${JSON.stringify({ quarantinedAt: this.clock(), error: reason, row })}\n`;
    }
    const run = this.quarantineChain.then(() => appendFile(this.quarantinePath, text, { mode: 0o600 }));
    this.quarantineChain = run.catch((error: unknown) => {
      this.logger.error({ err: error, rows: failed.length, path: this.quarantinePath }, 'request log: could not write the quarantine file; rows lost');
    });
  }

  private noteFailure(error: unknown): void {
    this.failures += 1;
    this.metrics?.requestLogWriteFailures.inc();
    const delay = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** Math.min(this.failures - 1, 16));
    this.retryAt = this.clock() + delay;
    if (this.failures === 1 || this.failures % 10 === 0) {
      this.logger.error({ err: error, failures: this.failures, retryInMs: delay }, 'request log: database write failed; spilling rows to disk');
    }
  }

  private spillRows(rows: RequestLogValues[], reason: string): void {
    if (rows.length === 0) return;
    this.metrics?.requestLogRowsSpilled.inc(rows.length);
    this.spill.append(rows).catch((error: unknown) => {
      // The disk failed too: nothing is left to keep these rows; say so loudly.
      this.logger.error({ err: error, rows: rows.length, reason, path: this.spill.path }, 'request log: could not write the spill file; rows lost');
    });
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WriteTimeoutError(this.writeTimeoutMs)), this.writeTimeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/** The file, in the spill directory, that keeps rows the database refused one by one. */
export const QUARANTINE_FILE = 'request-log-quarantine.jsonl';

class WriteTimeoutError extends Error {
  constructor(milliseconds: number) {
    super(`request log: database write took longer than ${milliseconds} ms`);
    this.name = 'WriteTimeoutError';
  }
}
