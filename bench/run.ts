/**
 * `npm run bench`: the mock upstream, the bare node:http + undici proxy and the gateway, measured
 * side by side in the same run, rounds interleaved. See docs/benchmarks.md for the method.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBenchOptions, type BenchOptions } from './bench-options.js';
import { compileFixture } from './fixture-compiler.js';
import { runClosedLoopLoad, type LoadGeneratorName, type SaturationResult } from './load-generator.js';
import { installShutdownHandlers, isShuttingDown, spawnManagedProcess, stopAllManagedProcesses } from './managed-process.js';
import { cpuMicrosecondsPerRequest, measureRun, type RunConditions } from './measure-run.js';
import { clockTicksPerSecond, readProcessCpuTicks, readProcessMemory } from './process-stats.js';
import {
  assembleReport,
  writeReportJson,
  type BenchMeta,
  type LatencyMeasurement,
  type SaturationMeasurement,
  type StreamMeasurement,
  type TargetMemory,
  type TargetRoundResult,
} from './report.js';
import { chatRequestFor, type BenchRequest } from './request-fixtures.js';
import { runSequentialLatency } from './sequential-client.js';
import { verifyCacheStatus, verifyTarget } from './smoke-check.js';
import { runStreams } from './stream-client.js';
import { TargetLauncher, findFreePort, type Target } from './targets.js';
import { findWrk, runWrk } from './wrk.js';

/**
 * The core the proxies under test are pinned to: the last one, when there are at least two and
 * `taskset` exists (BENCH_PIN=0 turns pinning off).
 */
function pinnedCore(): number | null {
  if (process.env.BENCH_PIN === '0' || cpus().length < 2) return null;
  const taskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  return taskset.status === 0 ? cpus().length - 1 : null;
}

/** Gateway variants to measure. Add entries here (e.g. request logging on/off, rate limits). */
interface GatewayVariant {
  name: string;
  /** Deep-merged over the base bench config (see TargetLauncher.startGateway). `{{REDIS_URL}}` is replaced. */
  extraYaml: string;
  /** Create a virtual key with this admin API body and send requests with it instead of the master key. */
  virtualKey?: Record<string, unknown>;
  /** Start a redis-server for this variant (skipped with a warning when redis-server is missing). */
  redis?: boolean;
  /** Headers every request to this variant carries (e.g. cache controls). */
  headers?: Record<string, string>;
  /** The `x-sluice-cache` status every measured request must get (checked before measuring). */
  expectCache?: string;
}

/**
 * Auth + limits + budget: a virtual key with rpm, tpm, concurrency, daily quotas and a monthly
 * budget, all far above what the bench sends, so every request pays for every check and none is refused.
 */
const limitedKey = {
  name: 'bench-limited',
  limits: {
    rpm: 100_000_000, tpm: 1_000_000_000_000, max_concurrent: 100_000, requests_per_day: 1_000_000_000,
    tokens_per_day: 1_000_000_000_000, budget_usd: 1_000_000, budget_period: 'month',
  },
};
const pricedModel = `
models:
  - name: bench
    targets: [{ provider: upstream, model: bench-model }]
    pricing: { input_per_mtok: 0.15, output_per_mtok: 0.6 }
`;

const gatewayVariants: readonly GatewayVariant[] = [
  // The default: every request leaves a row in the request log (SQLite, batched off the request path).
  { name: 'gateway', extraYaml: '' },
  // The same gateway with the request-log writer off: the difference is what logging costs.
  { name: 'gateway-log-off', extraYaml: 'logging: { request_log: { enabled: false } }' },
  { name: 'gateway-limits-memory', extraYaml: `${pricedModel}limits: { store: memory }\n`, virtualKey: limitedKey },
  {
    name: 'gateway-limits-redis',
    extraYaml: `${pricedModel}storage: { redis_url: "{{REDIS_URL}}" }\nlimits: { store: redis }\n`,
    virtualKey: limitedKey,
    redis: true,
  },
  // Traces built after each answer and exported over OTLP/HTTP to the mock upstream's /v1/traces.
  { name: 'gateway-tracing-1.0', extraYaml: 'tracing: { enabled: true, endpoint: "{{UPSTREAM}}/v1/traces", sample_ratio: 1.0 }' },
  { name: 'gateway-tracing-0.1', extraYaml: 'tracing: { enabled: true, endpoint: "{{UPSTREAM}}/v1/traces", sample_ratio: 0.1 }' },
  // The response cache (memory store). Every bench request is the same, so after the first one
  // each is a hit: answered from the cache, JSON or replayed as a stream, no upstream call.
  { name: 'gateway-cache-hit', extraYaml: 'cache: { enabled: true, store: memory }', expectCache: 'hit' },
  // The same cache with `cache-control: no-cache` on every request: no lookup, the upstream is
  // called and its answer stored again, i.e. the miss path (status `refresh`) with its write.
  {
    name: 'gateway-cache-miss',
    extraYaml: 'cache: { enabled: true, store: memory }',
    headers: { 'cache-control': 'no-cache' },
    expectCache: 'refresh',
  },
];

const benchDirectory = fileURLToPath(new URL('.', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const resultsDirectory = join(benchDirectory, 'results');

/** A redis-server without persistence on a free port, stopped with every other bench process. */
async function startBenchRedis(workDirectory: string): Promise<string | null> {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (found.error !== undefined || found.status !== 0) return null;
  const port = await findFreePort();
  spawnManagedProcess({
    name: 'redis',
    command: 'redis-server',
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', workDirectory],
    cwd: workDirectory,
    logPath: join(workDirectory, 'redis.log'),
  });
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return `redis://127.0.0.1:${port}`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('redis-server did not start');
}

/** Creates a virtual key through the admin API; the target's requests then carry it. */
async function createVirtualKey(target: Target, body: Record<string, unknown>): Promise<Record<string, string>> {
  const response = await fetch(`${target.url}/admin/api/keys`, {
    method: 'POST',
    headers: { ...target.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const created: unknown = await response.json();
  const key = typeof created === 'object' && created !== null && 'key' in created ? created.key : undefined;
  if (response.status !== 201 || typeof key !== 'string') throw new Error(`${target.name}: creating a key failed: ${JSON.stringify(created)}`);
  return { ...target.headers, authorization: `Bearer ${key}` };
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

function formatConditions(conditions: RunConditions): string {
  const marker = `${conditions.startedBusy ? ' ⚠ busy before start' : ''}${conditions.otherLoadDuringRun ? ' ⚠ other load' : ''}`;
  return `busy ${conditions.busyPercent.toFixed(0)} % (before ${conditions.preRunBusyPercent.toFixed(0)} %), other CPU ${conditions.otherCpuSeconds.toFixed(2)} s${marker}`;
}

function rotate<Item>(items: readonly Item[], offset: number): Item[] {
  const shift = items.length === 0 ? 0 : offset % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function wrkVersion(wrkPath: string): string | undefined {
  const result = spawnSync(wrkPath, ['-v'], { encoding: 'utf8' });
  const firstLine = `${result.stdout}${result.stderr}`.split('\n')[0] ?? '';
  const match = /wrk\s+(\S+)/.exec(firstLine);
  return match?.[1];
}

class BenchRunner {
  private readonly options: BenchOptions;
  private readonly generator: LoadGeneratorName;
  private readonly wrkPath: string | undefined;
  private readonly scriptDirectory: string;
  private readonly upstreamPid: number;
  private readonly targets: readonly Target[];

  constructor(options: BenchOptions, generator: LoadGeneratorName, wrkPath: string | undefined, scriptDirectory: string, upstreamPid: number, targets: readonly Target[]) {
    this.options = options;
    this.generator = generator;
    this.wrkPath = wrkPath;
    this.scriptDirectory = scriptDirectory;
    this.upstreamPid = upstreamPid;
    this.targets = targets;
  }

  /**
   * Every target must still be running after each run: a process that died (crash, or a signal
   * from outside) would otherwise skew the CPU accounting of the run in which it was reaped.
   */
  private assertAllAlive(): void {
    for (const target of this.targets) {
      if (readProcessCpuTicks(target.pid) === undefined) {
        throw new Error(`${target.name} (pid ${target.pid}) exited during the benchmark; see ${target.logPath ?? 'its log'}`);
      }
    }
  }

  private load(request: BenchRequest, durationSeconds: number, label: string): Promise<SaturationResult> {
    const connections = this.options.saturationConnections;
    if (this.generator === 'wrk' && this.wrkPath !== undefined) {
      return runWrk({ wrkPath: this.wrkPath, request, connections, durationSeconds, scriptDirectory: this.scriptDirectory, label });
    }
    return runClosedLoopLoad({ request, connections, durationSeconds });
  }

  private processes(target: Target): { targetPid: number; upstreamPid: number } {
    return { targetPid: target.pid, upstreamPid: this.upstreamPid };
  }

  async saturation(target: Target, round: number): Promise<SaturationMeasurement> {
    const request = chatRequestFor(target.url, target.headers, false);
    await this.load(request, this.options.warmupSeconds, `${target.name}-warmup`);
    const { result, conditions } = await measureRun(this.processes(target), () => this.load(request, this.options.durationSeconds, `${target.name}-r${round}`));
    this.assertAllAlive();
    const measurement: SaturationMeasurement = {
      ...result,
      cpuMicrosPerRequest: cpuMicrosecondsPerRequest(conditions.targetCpuSeconds, result.requests),
      conditions,
    };
    if (target.pid !== this.upstreamPid) {
      measurement.upstreamCpuMicrosPerRequest = cpuMicrosecondsPerRequest(conditions.upstreamCpuSeconds, result.requests);
    }
    log(`  [round ${round}] saturation  ${target.name.padEnd(14)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s, ${measurement.cpuMicrosPerRequest.toFixed(1)} CPU µs/req, p50 ${result.latencyP50Ms.toFixed(3)} ms, errors ${result.errors}; ${formatConditions(conditions)}`);
    return measurement;
  }

  async latency(target: Target, round: number): Promise<LatencyMeasurement> {
    const request = chatRequestFor(target.url, target.headers, false);
    const { result, conditions } = await measureRun(this.processes(target), () => runSequentialLatency({ request, durationSeconds: this.options.durationSeconds }));
    this.assertAllAlive();
    const measurement: LatencyMeasurement = {
      requests: result.requests,
      errors: result.errors,
      p50Ms: result.latency.p50Ms,
      p99Ms: result.latency.p99Ms,
      meanMs: result.latency.meanMs,
      cpuMicrosPerRequest: cpuMicrosecondsPerRequest(conditions.targetCpuSeconds, result.requests),
      conditions,
    };
    log(`  [round ${round}] c=1 latency ${target.name.padEnd(14)} p50 ${measurement.p50Ms.toFixed(3)} ms, p99 ${measurement.p99Ms.toFixed(3)} ms, ${result.requests} requests, errors ${result.errors}; ${formatConditions(conditions)}`);
    return measurement;
  }

  async streams(target: Target, round: number, concurrency: number): Promise<StreamMeasurement> {
    const request = chatRequestFor(target.url, target.headers, true);
    if (concurrency === 1) {
      // Warm the streaming path (not measured): a fraction of a second of concurrent streams.
      await runStreams({ request, concurrency: this.options.streamConcurrency, durationSeconds: 0.3 });
    }
    const { result, conditions } = await measureRun(this.processes(target), () => runStreams({ request, concurrency, durationSeconds: this.options.durationSeconds }));
    this.assertAllAlive();
    const measurement: StreamMeasurement = {
      concurrency,
      streams: result.streams,
      errors: result.errors,
      firstContentP50Ms: result.timeToFirstContent.p50Ms,
      firstContentP99Ms: result.timeToFirstContent.p99Ms,
      durationP50Ms: result.streamDuration.p50Ms,
      meanBytesPerStream: result.meanBytesPerStream,
      cpuMicrosPerStream: cpuMicrosecondsPerRequest(conditions.targetCpuSeconds, result.streams),
      conditions,
    };
    log(`  [round ${round}] stream c=${String(concurrency).padEnd(2)} ${target.name.padEnd(14)} first content p50 ${measurement.firstContentP50Ms.toFixed(3)} ms, p99 ${measurement.firstContentP99Ms.toFixed(3)} ms, duration p50 ${measurement.durationP50Ms.toFixed(1)} ms, ${result.streams} streams, errors ${result.errors}; ${formatConditions(conditions)}`);
    return measurement;
  }
}

async function main(): Promise<void> {
  const options = readBenchOptions();
  const startedAt = new Date();
  const workDirectory = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  let succeeded = false;
  let cleanedUp = false;
  const cleanup = async (): Promise<void> => {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    if (succeeded && !options.keepTemporaryDirectory) {
      await rm(workDirectory, { recursive: true, force: true });
    } else {
      log(`configs and process logs kept in ${workDirectory}`);
    }
  };
  installShutdownHandlers(cleanup);

  try {
    const wrkPath = options.loadGenerator === 'undici' ? undefined : findWrk();
    if (options.loadGenerator === 'wrk' && wrkPath === undefined) {
      throw new Error('BENCH_LOAD_GENERATOR=wrk but wrk is not on PATH (apt-get install wrk)');
    }
    const generator: LoadGeneratorName = wrkPath === undefined ? 'undici' : 'wrk';
    log(generator === 'wrk'
      ? `load generator: wrk (${wrkPath ?? ''}) for saturation; own undici clients for c=1 latency and streams`
      : 'load generator: wrk not found, using the built-in undici generator for saturation (install wrk for the reference method)');

    const fixtureDirectory = join(resultsDirectory, '.fixtures');
    const launcher = new TargetLauncher({
      repositoryRoot,
      workDirectory,
      mockUpstreamScript: await compileFixture(join(benchDirectory, 'mock-upstream-server.ts'), fixtureDirectory),
      bareProxyScript: await compileFixture(join(benchDirectory, 'bare-proxy.ts'), fixtureDirectory),
      pinnedCore: pinnedCore(),
    });

    const direct = await launcher.startMockUpstream('direct');
    const targets: Target[] = [direct, await launcher.startBareProxy('bare')];
    const variants = gatewayVariants.filter((variant) => options.gatewayFilter === undefined || options.gatewayFilter.includes(variant.name));
    if (!launcher.gatewayAvailable) {
      log('⚠ dist/cli/main.js does not exist (npm run build has not produced the gateway yet): measuring direct and bare only');
    } else {
      let redisUrl: string | null = null;
      for (const variant of variants) {
        if (variant.redis === true && redisUrl === null) {
          redisUrl = await startBenchRedis(workDirectory);
          if (redisUrl === null) log('⚠ redis-server not found: skipping the Redis variants (apt-get install redis-server)');
        }
        if (variant.redis === true && redisUrl === null) continue;
        log(`starting ${variant.name}…`);
        const extraYaml = variant.extraYaml.replaceAll('{{REDIS_URL}}', redisUrl ?? '');
        const started = await launcher.startGateway(variant.name, extraYaml);
        const target = variant.headers === undefined ? started : { ...started, headers: { ...started.headers, ...variant.headers } };
        targets.push(variant.virtualKey === undefined ? target : { ...target, headers: await createVirtualKey(target, variant.virtualKey) });
      }
    }
    for (const target of targets) {
      await verifyTarget(target);
      const expected = variants.find((variant) => variant.name === target.name)?.expectCache;
      if (expected !== undefined) await verifyCacheStatus(target, expected);
    }
    const idleMemory = new Map(targets.map((target) => [target.name, readProcessMemory(target.pid)]));
    log(`targets: ${targets.map((target) => `${target.name} (${target.url}, pid ${target.pid})`).join(', ')}`);
    const perTargetSeconds = options.warmupSeconds + 4 * options.durationSeconds + 3;
    log(`rounds: ${options.rounds}, ${options.durationSeconds} s per run, ${options.warmupSeconds} s warm-up; expected ≈ ${Math.ceil((options.rounds * targets.length * perTargetSeconds) / 60)} min`);

    const runner = new BenchRunner(options, generator, wrkPath, workDirectory, direct.pid, targets);
    const runs: TargetRoundResult[] = [];
    for (let round = 1; round <= options.rounds; round += 1) {
      const order = rotate(targets, round - 1);
      log(`round ${round}/${options.rounds}: ${order.map((target) => target.name).join(' → ')}`);
      const results = order.map((target, position): TargetRoundResult => ({ round, position, target: target.name, kind: target.kind }));
      const resultOf = (index: number): TargetRoundResult => {
        const result = results[index];
        if (result === undefined) {
          throw new Error(`no result slot ${index}`);
        }
        return result;
      };
      // Interleave by phase: every target runs each phase back to back, so the numbers compared
      // within a phase were measured minutes apart at most.
      for (const [index, target] of order.entries()) {
        resultOf(index).saturation = await runner.saturation(target, round);
      }
      for (const [index, target] of order.entries()) {
        resultOf(index).latency = await runner.latency(target, round);
      }
      for (const [index, target] of order.entries()) {
        resultOf(index).streamSingle = await runner.streams(target, round, 1);
      }
      for (const [index, target] of order.entries()) {
        resultOf(index).streamConcurrent = await runner.streams(target, round, options.streamConcurrency);
      }
      runs.push(...results);
    }

    const memory: TargetMemory[] = targets.map((target) => {
      const after = readProcessMemory(target.pid);
      return {
        target: target.name,
        idleRssMegabytes: idleMemory.get(target.name)?.rssMegabytes ?? Number.NaN,
        rssMegabytes: after?.rssMegabytes ?? Number.NaN,
        highWaterMegabytes: after?.highWaterMegabytes ?? Number.NaN,
      };
    });
    await stopAllManagedProcesses();

    const meta: BenchMeta = {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      nodeVersion: process.version,
      cpuCount: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown CPU',
      loadGenerator: generator,
      rounds: options.rounds,
      durationSeconds: options.durationSeconds,
      warmupSeconds: options.warmupSeconds,
      saturationConnections: options.saturationConnections,
      streamConcurrency: options.streamConcurrency,
      clockTicksPerSecond,
    };
    const version = wrkPath === undefined ? undefined : wrkVersion(wrkPath);
    if (version !== undefined) {
      meta.wrkVersion = version;
    }
    const report = assembleReport(meta, targets.map((target) => ({ name: target.name, kind: target.kind, pid: target.pid })), runs, memory);
    const jsonPath = join(resultsDirectory, 'latest.json');
    await writeReportJson(report, jsonPath);
    log('');
    log(report.markdown);
    log(`JSON written to ${jsonPath}`);
    succeeded = true;
  } finally {
    await stopAllManagedProcesses();
    await cleanup();
  }
}

main().catch((error: unknown) => {
  if (isShuttingDown()) {
    return;
  }
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
