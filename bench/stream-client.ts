import { Client, Pool } from 'undici';
import { assertLoopbackUrl } from './loopback.js';
import { elapsedMilliseconds, summarizeLatencies, type LatencySummary } from './percentiles.js';
import type { BenchRequest } from './request-fixtures.js';

export interface StreamRunResult {
  concurrency: number;
  /** Streams that answered 2xx and ended with `data: [DONE]`. */
  streams: number;
  /** Non-2xx answers, connection errors, and streams that ended without `[DONE]`. */
  errors: number;
  durationSeconds: number;
  /** Request start to the first body chunk. */
  timeToFirstByte: LatencySummary;
  /** Request start to the end of the stream. */
  streamDuration: LatencySummary;
  /** Mean body bytes per complete stream (a cheap fidelity check across targets). */
  meanBytesPerStream: number;
}

export interface StreamRunOptions {
  request: BenchRequest;
  concurrency: number;
  durationSeconds: number;
}

const MAX_CONSECUTIVE_ERRORS = 50;

/**
 * `concurrency` workers, each opening one SSE stream after another for `durationSeconds`
 * (streams started before the deadline run to completion).
 */
export async function runStreams(options: StreamRunOptions): Promise<StreamRunResult> {
  const { request, concurrency, durationSeconds } = options;
  assertLoopbackUrl(request.origin);
  const dispatcher = concurrency === 1
    ? new Client(request.origin, { pipelining: 1, keepAliveTimeout: 60_000 })
    : new Pool(request.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
  const firstByteSamples: number[] = [];
  const durationSamples: number[] = [];
  let errors = 0;
  let consecutiveErrors = 0;
  let completeBytes = 0;
  const startedAt = process.hrtime.bigint();
  const deadline = startedAt + BigInt(Math.round(durationSeconds * 1e9));

  const worker = async (): Promise<void> => {
    while (process.hrtime.bigint() < deadline && consecutiveErrors < MAX_CONSECUTIVE_ERRORS) {
      const sentAt = process.hrtime.bigint();
      try {
        const response = await dispatcher.request({ method: 'POST', path: request.path, headers: request.headers, body: request.body });
        let firstChunkAt: bigint | undefined;
        let bytes = 0;
        let tail = '';
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          firstChunkAt ??= process.hrtime.bigint();
          bytes += chunk.length;
          tail = (tail + chunk.toString('latin1')).slice(-64);
        }
        const endedAt = process.hrtime.bigint();
        const ok = response.statusCode >= 200 && response.statusCode < 300 && tail.includes('[DONE]') && firstChunkAt !== undefined;
        if (ok && firstChunkAt !== undefined) {
          firstByteSamples.push(elapsedMilliseconds(sentAt, firstChunkAt));
          durationSamples.push(elapsedMilliseconds(sentAt, endedAt));
          completeBytes += bytes;
          consecutiveErrors = 0;
        } else {
          errors += 1;
          consecutiveErrors += 1;
        }
      } catch {
        errors += 1;
        consecutiveErrors += 1;
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await dispatcher.close();
  }
  return {
    concurrency,
    streams: firstByteSamples.length,
    errors,
    durationSeconds: Number(process.hrtime.bigint() - startedAt) / 1e9,
    timeToFirstByte: summarizeLatencies(firstByteSamples),
    streamDuration: summarizeLatencies(durationSamples),
    meanBytesPerStream: firstByteSamples.length === 0 ? 0 : completeBytes / firstByteSamples.length,
  };
}
