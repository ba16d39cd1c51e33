import { Client } from 'undici';
import { assertLoopbackUrl } from './loopback.js';
import { elapsedMilliseconds, summarizeLatencies, type LatencySummary } from './percentiles.js';
import type { BenchRequest } from './request-fixtures.js';

export interface SequentialLatencyResult {
  requests: number;
  errors: number;
  durationSeconds: number;
  latency: LatencySummary;
}

export interface SequentialLatencyOptions {
  request: BenchRequest;
  durationSeconds: number;
}

const MAX_CONSECUTIVE_ERRORS = 50;

/**
 * One keep-alive connection, one request at a time, for `durationSeconds`. Each sample runs from
 * just before the request is issued to the end of the response body (process.hrtime.bigint()).
 * The same client measures every target, so its own overhead cancels out in "added" latency.
 */
export async function runSequentialLatency(options: SequentialLatencyOptions): Promise<SequentialLatencyResult> {
  const { request, durationSeconds } = options;
  assertLoopbackUrl(request.origin);
  const client = new Client(request.origin, { pipelining: 1, keepAliveTimeout: 60_000 });
  const samples: number[] = [];
  let errors = 0;
  let consecutiveErrors = 0;
  const startedAt = process.hrtime.bigint();
  const deadline = startedAt + BigInt(Math.round(durationSeconds * 1e9));
  try {
    while (process.hrtime.bigint() < deadline && consecutiveErrors < MAX_CONSECUTIVE_ERRORS) {
      const sentAt = process.hrtime.bigint();
      try {
        const response = await client.request({ method: 'POST', path: request.path, headers: request.headers, body: request.body });
        await response.body.arrayBuffer();
        const finishedAt = process.hrtime.bigint();
        if (response.statusCode >= 200 && response.statusCode < 300) {
          samples.push(elapsedMilliseconds(sentAt, finishedAt));
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
  } finally {
    await client.close();
  }
  return {
    requests: samples.length,
    errors,
    durationSeconds: Number(process.hrtime.bigint() - startedAt) / 1e9,
    latency: summarizeLatencies(samples),
  };
}
