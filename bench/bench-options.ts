import type { LoadGeneratorName } from './load-generator.js';

/** Settings read from the environment (all optional). */
export interface BenchOptions {
  /** BENCH_ROUNDS, default 2. */
  rounds: number;
  /** BENCH_DURATION_S, seconds per measured run, default 8. */
  durationSeconds: number;
  /** BENCH_WARMUP_S, seconds of saturation warm-up per target per round, default 2. */
  warmupSeconds: number;
  /** BENCH_LOAD_GENERATOR: `wrk`, `undici`, or unset for wrk when installed. */
  loadGenerator: LoadGeneratorName | 'auto';
  /** BENCH_CONNECTIONS, saturation connections, default 50. */
  saturationConnections: number;
  /** BENCH_STREAM_CONCURRENCY, default 20. */
  streamConcurrency: number;
  /** BENCH_GATEWAYS: comma-separated gateway variant names to run; default all. `none` skips the gateway. */
  gatewayFilter: readonly string[] | undefined;
  /** BENCH_KEEP_TMP=1 keeps the temp directory (configs, logs, .sluice/ state). */
  keepTemporaryDirectory: boolean;
}

function positiveNumber(environment: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const raw = environment[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`);
  }
  return value;
}

export function readBenchOptions(environment: NodeJS.ProcessEnv = process.env): BenchOptions {
  const generator = (environment.BENCH_LOAD_GENERATOR ?? 'auto').trim();
  if (generator !== 'auto' && generator !== 'wrk' && generator !== 'undici') {
    throw new Error(`BENCH_LOAD_GENERATOR must be wrk or undici, got "${generator}"`);
  }
  const gateways = environment.BENCH_GATEWAYS?.trim();
  return {
    rounds: positiveNumber(environment, 'BENCH_ROUNDS', 2, true),
    durationSeconds: positiveNumber(environment, 'BENCH_DURATION_S', 8, false),
    warmupSeconds: positiveNumber(environment, 'BENCH_WARMUP_S', 2, false),
    loadGenerator: generator,
    saturationConnections: positiveNumber(environment, 'BENCH_CONNECTIONS', 50, true),
    streamConcurrency: positiveNumber(environment, 'BENCH_STREAM_CONCURRENCY', 20, true),
    gatewayFilter: gateways === undefined || gateways === '' ? undefined : gateways.split(',').map((name) => name.trim()).filter((name) => name !== ''),
    keepTemporaryDirectory: environment.BENCH_KEEP_TMP === '1',
  };
}
