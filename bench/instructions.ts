/**
 * Instructions per request, counted by valgrind's callgrind: the one proxy cost figure that does
 * not move when other processes share the machine (wall-clock and CPU-time benchmarks do).
 *
 *   npm run build && node --import tsx bench/instructions.ts
 *
 * For the bare node:http + undici proxy and the gateway (production, master key, SQLite request
 * log on, one mock OpenAI-compatible upstream on 127.0.0.1, all as in `npm run bench`): starts
 * the proxy under `valgrind --tool=callgrind` (the mock and this client run natively), sends a
 * warm-up, dumps the counters (`callgrind_control -d`), sends N non-streaming chat requests over
 * a few keep-alive connections, dumps again and divides the second dump's instructions (every
 * thread of the process: main, libuv pool, V8 helpers, the request-log worker) by N. The second
 * dump is kept so `callgrind_annotate <file>` shows where those instructions go.
 *
 * Environment: INSTR_REQUESTS (2000), INSTR_WARMUP (500), INSTR_CONNECTIONS (4),
 * INSTR_TARGETS (bare,gateway), INSTR_KEEP (1 keeps the temp directory with the dumps).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { compileFixture } from './fixture-compiler.js';
import { installShutdownHandlers, stopAllManagedProcesses } from './managed-process.js';
import { chatRequestFor, type BenchRequest } from './request-fixtures.js';
import { TargetLauncher, type Target } from './targets.js';

const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));

function integerSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number.parseInt(raw, 10);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

const requests = integerSetting('INSTR_REQUESTS', 2000);
const warmup = integerSetting('INSTR_WARMUP', 500);
const connections = integerSetting('INSTR_CONNECTIONS', 4);
const targetNames = (process.env.INSTR_TARGETS ?? 'bare,gateway').split(',').map((name) => name.trim()).filter((name) => name !== '');
/** Let the request-log worker flush its last batch inside the window it belongs to. */
const SETTLE_MILLISECONDS = 500;
/** Node under callgrind starts about 50× slower than natively. */
const STARTUP_TIMEOUT_MILLISECONDS = 600_000;

/** Sends `count` requests keeping `connections` in flight; fails on any non-2xx answer. */
async function sendRequests(request: BenchRequest, count: number): Promise<void> {
  const pool = new Pool(request.origin, { connections, pipelining: 1, keepAliveTimeout: 600_000 });
  let issued = 0;
  async function worker(): Promise<void> {
    while (issued < count) {
      issued += 1;
      const response = await pool.request({ method: 'POST', path: request.path, headers: request.headers, body: request.body });
      const text = await response.body.text();
      if (response.statusCode < 200 || response.statusCode >= 300) {
        throw new Error(`status ${response.statusCode}: ${text.slice(0, 300)}`);
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: connections }, () => worker()));
  } finally {
    await pool.close();
  }
}

function callgrindControl(pid: number, flag: string): void {
  const result = spawnSync('callgrind_control', [flag, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${flag} ${pid} failed: ${result.stderr}${result.stdout}`);
}

/** The `totals:` (or `summary:`) line of a callgrind dump: instructions executed. */
async function dumpInstructions(path: string): Promise<number> {
  const text = await readFile(path, 'utf8');
  const match = /^(?:totals|summary):\s+(\d+)/m.exec(text);
  if (match?.[1] === undefined) throw new Error(`no totals in ${path}`);
  return Number(match[1]);
}

async function latestDump(directory: string, prefix: string, part: number): Promise<string> {
  const names = await readdir(directory);
  const name = names.find((candidate) => candidate.startsWith(prefix) && candidate.endsWith(`.${part}`));
  if (name === undefined) throw new Error(`no callgrind dump ${prefix}*.${part} in ${directory}`);
  return join(directory, name);
}

interface Measurement {
  name: string;
  instructionsPerRequest: number;
  dump: string;
}

async function measure(launcher: TargetLauncher, name: string, directory: string): Promise<Measurement> {
  process.stdout.write(`${name}: starting under callgrind (slow)…\n`);
  let target: Target;
  if (name === 'bare') target = await launcher.startBareProxy('bare');
  else if (name === 'gateway') target = await launcher.startGateway('gateway');
  else throw new Error(`unknown target ${name} (bare or gateway)`);
  const request = chatRequestFor(target.url, target.headers, false);
  await sendRequests(request, warmup);
  await sleep(SETTLE_MILLISECONDS);
  callgrindControl(target.pid, '--dump=warmup');
  await sendRequests(request, requests);
  await sleep(SETTLE_MILLISECONDS);
  callgrindControl(target.pid, '--dump=measured');
  const dump = await latestDump(directory, `callgrind.${target.pid}`, 2);
  const instructions = await dumpInstructions(dump);
  await launcher.processOf(name)?.stop(60_000);
  return { name, instructionsPerRequest: instructions / requests, dump };
}

async function main(): Promise<void> {
  const workDirectory = await mkdtemp(join(tmpdir(), 'sluice-instructions-'));
  installShutdownHandlers(async () => {
    await rm(workDirectory, { recursive: true, force: true });
  });
  const fixtures = join(repositoryRoot, 'bench', 'results', '.fixtures');
  const launcher = new TargetLauncher({
    repositoryRoot,
    workDirectory,
    mockUpstreamScript: await compileFixture(join(repositoryRoot, 'bench', 'mock-upstream-server.ts'), fixtures),
    bareProxyScript: await compileFixture(join(repositoryRoot, 'bench', 'bare-proxy.ts'), fixtures),
    startupTimeoutMilliseconds: STARTUP_TIMEOUT_MILLISECONDS,
    commandPrefix: ['valgrind', '--tool=callgrind', `--callgrind-out-file=${join(workDirectory, 'callgrind.%p.out')}`],
  });
  if (targetNames.includes('gateway') && !launcher.gatewayAvailable) throw new Error('dist/cli/main.js is missing: npm run build first');
  const results: Measurement[] = [];
  try {
    await launcher.startMockUpstream();
    for (const name of targetNames) results.push(await measure(launcher, name, workDirectory));
  } finally {
    await stopAllManagedProcesses();
    if (process.env.INSTR_KEEP !== '1') await rm(workDirectory, { recursive: true, force: true });
  }
  const bare = results.find((result) => result.name === 'bare');
  process.stdout.write(`\n${requests} requests after ${warmup} warm-up, ${connections} keep-alive connections\n`);
  for (const result of results) {
    const ratio = bare === undefined ? '' : `  bare/this ${(bare.instructionsPerRequest / result.instructionsPerRequest).toFixed(2)}×`;
    process.stdout.write(`${result.name.padEnd(10)} ${(result.instructionsPerRequest / 1e6).toFixed(3)} M instructions/request${ratio}\n`);
    if (process.env.INSTR_KEEP === '1') process.stdout.write(`           dump: ${result.dump}\n`);
  }
}

await main();
