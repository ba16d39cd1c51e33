import { Pool } from 'undici';
import { assertLoopbackUrl } from './loopback.js';
import { elapsedMilliseconds, summarizeLatencies } from './percentiles.js';
import type { BenchRequest } from './request-fixtures.js';

export type LoadGeneratorName = 'wrk' | 'undici';

/** Closed-loop saturation run: N connections, each sending the next request when the last ends. */
export interface SaturationResult {
  generator: LoadGeneratorName;
  connections: number;
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** Non-2xx answers plus connection/read/write/timeout errors. */
  errors: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

export interface ClosedLoopOptions {
  request: BenchRequest;
  connections: number;
  durationSeconds: number;
}

/**
 * Built-in fallback for when wrk is not installed: an undici Pool with `connections` keep-alive
 * connections and as many workers. It runs inside the harness process, so it costs the target
 * more CPU headroom than wrk does; the report says which generator was used.
 */
export async function runClosedLoopLoad(options: ClosedLoopOptions): Promise<SaturationResult> {
  const { request, connections, durationSeconds } = options;
  assertLoopbackUrl(request.origin);
  const pool = new Pool(request.origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const samples: number[] = [];
  let errors = 0;
  const startedAt = process.hrtime.bigint();
  const deadline = startedAt + BigInt(Math.round(durationSeconds * 1e9));

  const worker = async (): Promise<void> => {
    while (process.hrtime.bigint() < deadline) {
      const sentAt = process.hrtime.bigint();
      try {
        const response = await pool.request({ method: 'POST', path: request.path, headers: request.headers, body: request.body });
        await response.body.arrayBuffer();
        if (response.statusCode >= 200 && response.statusCode < 300) {
          samples.push(elapsedMilliseconds(sentAt, process.hrtime.bigint()));
        } else {
          errors += 1;
        }
      } catch {
        errors += 1;
        await new Promise<void>((resolve) => setTimeout(resolve, 10));
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    await pool.close();
  }
  const elapsedSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  const latency = summarizeLatencies(samples);
  return {
    generator: 'undici',
    connections,
    requests: samples.length,
    durationSeconds: elapsedSeconds,
    requestsPerSecond: samples.length / elapsedSeconds,
    errors,
    latencyP50Ms: latency.p50Ms,
    latencyP99Ms: latency.p99Ms,
  };
}
