import { Client, Pool } from 'undici';
import { assertLoopbackUrl } from './loopback.js';
import { elapsedMilliseconds, summarizeLatencies, type LatencySummary } from './percentiles.js';
import type { BenchRequest } from './request-fixtures.js';

/** A chat-completion chunk with a non-empty content delta, however the JSON is spaced. */
const FIRST_CONTENT = /"content"\s*:\s*"[^"]/;

export interface StreamRunResult {
  concurrency: number;
  /** Streams that answered 2xx and ended with `data: [DONE]`. */
  streams: number;
  /** Non-2xx answers, connection errors, and streams that ended without `[DONE]`. */
  errors: number;
  durationSeconds: number;
  /**
   * Request start to the first chunk that carries content (a non-empty `delta.content`). Not the
   * first byte: a proxy may forward the upstream's empty role chunk at once, while a gateway that
   * holds the commit point (so retries and fallbacks still work) sends it with the first content.
   * What a user waits for is the first content, so that is what is compared.
   */
  timeToFirstContent: LatencySummary;
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
  const firstContentSamples: number[] = [];
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
        let firstContentAt: bigint | undefined;
        let bytes = 0;
        let tail = '';
        let seen = '';
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          const text = chunk.toString('latin1');
          if (firstContentAt === undefined) {
            seen += text;
            if (FIRST_CONTENT.test(seen)) firstContentAt = process.hrtime.bigint();
          }
          tail = (tail + text).slice(-64);
        }
        const endedAt = process.hrtime.bigint();
        const ok = response.statusCode >= 200 && response.statusCode < 300 && tail.includes('[DONE]') && firstContentAt !== undefined;
        if (ok && firstContentAt !== undefined) {
          firstContentSamples.push(elapsedMilliseconds(sentAt, firstContentAt));
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
    streams: firstContentSamples.length,
    errors,
    durationSeconds: Number(process.hrtime.bigint() - startedAt) / 1e9,
    timeToFirstContent: summarizeLatencies(firstContentSamples),
    streamDuration: summarizeLatencies(durationSamples),
    meanBytesPerStream: firstContentSamples.length === 0 ? 0 : completeBytes / firstContentSamples.length,
  };
}
