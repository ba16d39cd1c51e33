import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { assertLoopbackUrl } from './loopback.js';
import type { SaturationResult } from './load-generator.js';
import { spawnManagedProcess } from './managed-process.js';
import type { BenchRequest } from './request-fixtures.js';

/** Path of the `wrk` executable on PATH, or undefined. */
export function findWrk(): string | undefined {
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    if (directory === '') {
      continue;
    }
    const candidate = join(directory, 'wrk');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const RESULT_MARKER = 'SLUICE_BENCH_RESULT ';

function luaLongString(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) {
    level += '=';
  }
  return `[${level}[${text}]${level}]`;
}

/**
 * The Lua script for one request kind: method, body and headers, plus a `done` hook that prints
 * the summary as one JSON line (latency in µs, as wrk keeps it).
 */
export function buildWrkScript(request: BenchRequest): string {
  const headerLines = Object.entries(request.headers).map(
    ([name, value]) => `wrk.headers[ ${luaLongString(name)} ] = ${luaLongString(value)}`,
  );
  return [
    'wrk.method = "POST"',
    `wrk.body = ${luaLongString(request.body)}`,
    ...headerLines,
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    `  io.write(string.format('${RESULT_MARKER}{"requests":%d,"durationMicros":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeoutErrors":%d,"p50Micros":%d,"p99Micros":%d}\\n',`,
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50.0), latency:percentile(99.0)))',
    'end',
    '',
  ].join('\n');
}

interface WrkSummary {
  requests: number;
  durationMicros: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeoutErrors: number;
  p50Micros: number;
  p99Micros: number;
}

function isWrkSummary(value: unknown): value is WrkSummary {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const keys: readonly (keyof WrkSummary)[] = ['requests', 'durationMicros', 'connectErrors', 'readErrors', 'writeErrors', 'statusErrors', 'timeoutErrors', 'p50Micros', 'p99Micros'];
  return keys.every((key) => typeof (value as Record<string, unknown>)[key] === 'number');
}

export interface WrkOptions {
  wrkPath: string;
  request: BenchRequest;
  connections: number;
  durationSeconds: number;
  /** Where to write the Lua script. */
  scriptDirectory: string;
  label: string;
}

/** `wrk -t1 -c<N> -d<D>s --latency -s <script> <url>`, parsed from the script's JSON line. */
export async function runWrk(options: WrkOptions): Promise<SaturationResult> {
  const { request, connections } = options;
  const url = `${request.origin}${request.path}`;
  assertLoopbackUrl(url);
  const scriptPath = join(options.scriptDirectory, `${options.label.replace(/[^a-zA-Z0-9._-]+/g, '-')}.lua`);
  await writeFile(scriptPath, buildWrkScript(request));
  const durationSeconds = Math.max(1, Math.round(options.durationSeconds));
  const wrk = spawnManagedProcess({
    name: `wrk ${options.label}`,
    command: options.wrkPath,
    args: ['-t1', `-c${connections}`, `-d${durationSeconds}s`, '--timeout', '10s', '--latency', '-s', scriptPath, url],
    captureOutput: true,
  });
  await wrk.exited;
  const line = wrk.stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_MARKER));
  const parsed: unknown = line === undefined ? undefined : JSON.parse(line.slice(RESULT_MARKER.length));
  if (!isWrkSummary(parsed)) {
    throw new Error(`wrk ${wrk.exitDescription} without a result line:\n${wrk.stdout}\n${wrk.stderr}`);
  }
  const elapsedSeconds = parsed.durationMicros / 1e6;
  const errors = parsed.connectErrors + parsed.readErrors + parsed.writeErrors + parsed.statusErrors + parsed.timeoutErrors;
  return {
    generator: 'wrk',
    connections,
    requests: parsed.requests,
    durationSeconds: elapsedSeconds,
    requestsPerSecond: parsed.requests / elapsedSeconds,
    errors,
    latencyP50Ms: parsed.p50Micros / 1000,
    latencyP99Ms: parsed.p99Micros / 1000,
  };
}
