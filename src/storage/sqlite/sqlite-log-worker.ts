import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { RequestLogValues } from '../request-log-values.js';
import { configureConnection } from './configure-connection.js';
import { createSqliteLogInserter } from './sqlite-log-inserter.js';

/** The request log's SQLite writer, in a worker thread: its own connection, one transaction per batch. */
export type LogWorkerRequest = { id: number; rows: RequestLogValues[] } | { id: number; close: true };
export type LogWorkerReply = { id: number; error: string | null };

const port = parentPort;
if (port === null) throw new Error('sqlite-log-worker runs as a worker thread');
const { path } = workerData as { path: string };
const connection = configureConnection(new BetterSqlite3(path));
const insert = createSqliteLogInserter(connection);

port.on('message', (request: LogWorkerRequest) => {
  if ('close' in request) {
    connection.close();
    port.postMessage({ id: request.id, error: null } satisfies LogWorkerReply);
    port.close();
    return;
  }
  let error: string | null = null;
  try {
    insert(request.rows);
  } catch (failure) {
    error = failure instanceof Error ? failure.message : String(failure);
  }
  port.postMessage({ id: request.id, error } satisfies LogWorkerReply);
});
