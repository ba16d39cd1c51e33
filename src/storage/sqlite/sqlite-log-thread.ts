import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RequestLogValues } from '../request-log-values.js';
import type { LogWorkerReply, LogWorkerRequest } from './sqlite-log-worker.js';

/**
 * The main thread's side of the request log's SQLite worker: `insert` posts a batch and resolves
 * when the worker committed it (rejects when it failed, so the writer spills the rows). The worker
 * starts on the first insert, so a gateway that logs nothing never pays for it, and it holds the
 * process open only while a batch is in flight (a shutdown waits for it, an idle gateway does not).
 */
export class SqliteLogThread {
  private readonly path: string;
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 0;

  constructor(path: string) {
    this.path = path;
  }

  insert(rows: readonly RequestLogValues[]): Promise<void> {
    return this.send((id) => ({ id, rows: rows as RequestLogValues[] }));
  }

  /** Lets the batches in flight finish, then stops the worker. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === null) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    await this.send((id) => ({ id, close: true })).catch(() => {});
    await exited;
  }

  private send(request: (id: number) => LogWorkerRequest): Promise<void> {
    const worker = this.worker ?? this.spawn();
    const id = (this.nextId += 1);
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage(request(id));
    });
  }

  private spawn(): Worker {
    const worker = FROM_SOURCE
      ? new Worker(sourceWorkerScript(), { eval: true, workerData: { path: this.path }, resourceLimits: WORKER_LIMITS })
      : new Worker(new URL('./sqlite-log-worker.js', import.meta.url), { workerData: { path: this.path }, resourceLimits: WORKER_LIMITS });
    worker.on('message', (reply: LogWorkerReply) => {
      const waiting = this.pending.get(reply.id);
      if (waiting === undefined) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error === null) waiting.resolve();
      else waiting.reject(new Error(`request log: ${reply.error}`));
    });
    const fail = (error: Error): void => {
      // A dead worker fails its batches (the writer spills them); the next insert starts another.
      if (this.worker === worker) this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`request log: the SQLite worker exited with code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/**
 * The worker keeps almost nothing alive (one connection, one prepared statement, the batch in
 * hand), yet a new isolate grows its young generation like the main thread's; a small one keeps
 * the thread's resident memory to a few megabytes instead of about twenty.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2 };

/** Built, the worker is a .js file beside this one; from source (tests, tsx) it is TypeScript. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * From source the worker is TypeScript: it loads through tsx's require hook (ESM loader hooks
 * registered in a worker do not apply to it on Node 20), resolved from here since the cwd may be
 * anywhere.
 */
function sourceWorkerScript(): string {
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/cjs/api');
  const worker = fileURLToPath(new URL('./sqlite-log-worker.ts', import.meta.url));
  return `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(worker)});`;
}
