/**
 * `npm run soak -- --duration 10m`: three gateway instances (production mode, each its own
 * process) on one real Postgres and one real Redis, under load from a budget key, an rpm key and
 * an unlimited key, while the upstream fails about 40 % of the time and the infrastructure is
 * faulted on a schedule: Redis paused, slept and restarted, Postgres stopped twice, one instance
 * SIGKILLed and one SIGTERMed under load, one started while Postgres is down. At the end it checks
 * every guarantee of docs/reliability.md against the request log, Redis and the upstream, and
 * prints each as PASS/FAIL with its figure. Exits 1 when any fails. Not part of `npm test`.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { openaiCompletion, openaiError, openaiStream, startMockUpstream } from '../../test/mock-upstream/index.js';
import type { MockReply } from '../../test/mock-upstream/index.js';
import { createDatabase, startPostgresServer } from '../../test/support/postgres-server.js';
import { freePort } from '../../test/support/free-port.js';

const MASTER_KEY = 'sk-soak-master-key-0123456789abcdef0123456789';
const INPUT_PER_MTOK = 100;
const OUTPUT_PER_MTOK = 300;
const RPM = 60;
const CLIENT_TIMEOUT_MS = 60_000;

const { values } = parseArgs({ options: { duration: { type: 'string', default: '10m' }, seed: { type: 'string', default: '1' } } });
const durationMs = parseDuration(values.duration ?? '10m');
let seed = Number(values.seed ?? '1');
/** Deterministic randomness, so a failing run can be repeated. */
function random(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
}

interface Outcome {
  key: 'budget' | 'rpm' | 'plain';
  instance: number;
  generation: number;
  startedAt: number;
  endedAt: number;
  status: number | null;
  requestId: string | null;
  failure: 'hang' | 'connection' | null;
  pgDown: boolean;
}

interface Instance {
  index: number;
  port: number;
  generation: number;
  process: ChildProcess | null;
  killedGenerations: Set<number>;
}

const directory = mkdtempSync(join(tmpdir(), 'sluice-soak-'));
const log = (message: string) => process.stdout.write(`[soak ${((Date.now() - runStartedAt) / 1000).toFixed(1)}s] ${message}\n`);
let runStartedAt = Date.now();

/** Everything the run started, stopped on any exit. */
const cleanups: Array<() => void | Promise<void>> = [];

async function main(): Promise<number> {
  log(`duration ${values.duration}, working in ${directory}; building the gateway (npm run build)`);
  // The instances run the built gateway, as an operator would: quick to start, no transpiling.
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const postgres = await startPostgresServer();
  cleanups.push(() => postgres.destroy());
  const databaseUrl = await createDatabase(postgres, 'soak');
  const redis = await startRedis(await freePort());
  cleanups.push(() => redis.stop());
  const upstream = await startMockUpstream();
  cleanups.push(() => upstream.close());
  let producedBudgetNano = 0;
  upstream.route('/v1/chat/completions', (request) => {
    const body = typeof request.body === 'object' && request.body !== null ? request.body : {};
    const stream = 'stream' in body && body.stream === true;
    const user = 'user' in body && typeof body.user === 'string' ? body.user : '';
    const roll = random();
    // About 40 % of calls fail: errors, resets, and streams cut after some content.
    if (roll < 0.15) return openaiError(500, 'upstream exploded');
    if (roll < 0.25) return openaiError(429, 'upstream busy');
    if (roll < 0.32) return { kind: 'reset' } satisfies MockReply;
    const usage = { prompt_tokens: 30, completion_tokens: 20 };
    if (user === 'budget' && roll >= 0.4) producedBudgetNano += Math.ceil((usage.prompt_tokens * INPUT_PER_MTOK + usage.completion_tokens * OUTPUT_PER_MTOK) * 1000);
    if (stream) {
      const content = ['The', ' quick', ' brown', ' fox', ' jumps', ' over', ' the', ' lazy', ' dog', ' again'];
      if (roll < 0.4) return openaiStream({ content, usage: null, resetAfter: 4, chunkDelayMs: 5 });
      return openaiStream({ content, usage, chunkDelayMs: 5 });
    }
    if (roll < 0.4) return { kind: 'reset' } satisfies MockReply;
    return { ...openaiCompletion({ usage }), delayMs: 10 + Math.floor(random() * 40) };
  });

  // Small enough that the budget key runs out well within the run.
  const budgetUsd = Math.max(1, (durationMs / 60_000) * 0.6);
  const configFile = join(directory, 'sluice.yaml');
  writeFileSync(configFile, JSON.stringify({
    environment: 'production',
    auth: { master_key: MASTER_KEY },
    storage: { database_url: databaseUrl, redis_url: redis.url },
    logging: { level: 'error', request_log: { flush_interval_ms: 200 } },
    providers: [{ name: 'up', type: 'openai', api_key: 'sk-upstream', base_url: `${upstream.url}/v1`, timeout_ms: 20_000 }],
    // No breaker: with 40 % failures it would open and turn most of the load into 503s before it
    // reaches the limits under test (the breaker has its own tests).
    models: [{
      name: 'soak', targets: [{ provider: 'up', model: 'gpt-soak' }], pricing: { input_per_mtok: INPUT_PER_MTOK, output_per_mtok: OUTPUT_PER_MTOK },
      circuit_breaker: { enabled: false },
    }],
    tiers: { budgeted: { budget_usd: budgetUsd, budget_period: 'total' }, limited: { rpm: RPM } },
    limits: { store: 'redis' },
  }));

  const instances: Instance[] = [];
  for (let index = 0; index < 3; index++) {
    const instance: Instance = { index, port: await freePort(), generation: 0, process: null, killedGenerations: new Set() };
    instances.push(instance);
    cleanups.push(() => { instance.process?.kill('SIGKILL'); });
    await startInstance(instance, configFile);
  }
  await Promise.all(instances.map((instance) => waitReady(instance, 60_000)));
  log('three instances ready');

  const admin = (path: string, body: unknown) => fetch(`http://127.0.0.1:${instances[0]?.port ?? 0}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  }).then(async (response) => {
    if (response.status !== 201) throw new Error(`creating a key failed: ${response.status} ${await response.text()}`);
    return await response.json() as { key: string; id: string };
  });
  const keys = { budget: await admin('/admin/api/keys', { name: 'budget', tier: 'budgeted' }), rpm: await admin('/admin/api/keys', { name: 'rpm', tier: 'limited' }), plain: await admin('/admin/api/keys', { name: 'plain' }) };

  const outcomes: Outcome[] = [];
  const pgOutages: Array<{ from: number; to: number }> = [];
  let pgDown = false;
  let running = true;
  runStartedAt = Date.now();
  const stopAt = runStartedAt + durationMs;

  const worker = async (key: 'budget' | 'rpm' | 'plain'): Promise<void> => {
    while (running && Date.now() < stopAt) {
      const live = instances.filter((instance) => instance.process !== null);
      const instance = live[Math.floor(random() * live.length)];
      if (instance === undefined) {
        await pause(50);
        continue;
      }
      const stream = random() < 0.5;
      const abandon = stream && random() < 0.05;
      const outcome: Outcome = {
        key, instance: instance.index, generation: instance.generation, startedAt: Date.now(), endedAt: 0, status: null, requestId: null, failure: null, pgDown,
      };
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(new Error('hang')), CLIENT_TIMEOUT_MS);
      try {
        const response = await fetch(`http://127.0.0.1:${instance.port}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${keys[key].key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'soak', messages: [{ role: 'user', content: 'Tell me about foxes and dogs, briefly.' }], max_tokens: 40, stream, user: key }),
          signal: controller.signal,
        });
        outcome.status = response.status;
        outcome.requestId = response.headers.get('x-request-id');
        if (abandon && response.body !== null) {
          const reader = response.body.getReader();
          await reader.read();
          await reader.cancel();
        } else {
          await response.arrayBuffer();
        }
      } catch (error) {
        outcome.failure = controller.signal.aborted ? 'hang' : 'connection';
        if (error instanceof Error && error.message === 'hang') outcome.failure = 'hang';
      } finally {
        clearTimeout(timer);
        outcome.endedAt = Date.now();
        if (pgDown) outcome.pgDown = true;
        outcomes.push(outcome);
      }
      await pause(key === 'rpm' ? 200 : 20);
    }
  };
  const workers = [
    ...Array.from({ length: 3 }, () => worker('budget')),
    ...Array.from({ length: 2 }, () => worker('rpm')),
    ...Array.from({ length: 4 }, () => worker('plain')),
  ];

  let lateStarter: Instance | null = null;
  const faults = (async () => {
    const at = async (fraction: number) => pause(Math.max(0, runStartedAt + durationMs * fraction - Date.now()));
    await at(0.08);
    log('Redis paused (SIGSTOP) for 5 s'); redis.pause(); await pause(5000); redis.resume();
    await at(0.18);
    log('Postgres stopped (1 of 2)');
    const firstOutage = { from: Date.now(), to: 0 }; pgDown = true; postgres.stop();
    const third = instances[2];
    if (third !== undefined) {
      log('instance 2 SIGTERMed and started again while Postgres is down');
      await stopInstance(third, 'SIGTERM');
      await startInstance(third, configFile);
      lateStarter = third;
    }
    await pause(Math.min(20_000, durationMs * 0.08));
    postgres.start(); pgDown = false; firstOutage.to = Date.now(); pgOutages.push(firstOutage);
    log('Postgres back');
    await at(0.33);
    log('Redis busy (DEBUG SLEEP 3)'); await redis.sleep(3);
    await at(0.45);
    const second = instances[1];
    if (second !== undefined) {
      log('instance 1 SIGKILLed under load; restarted 3 s later');
      await stopInstance(second, 'SIGKILL');
      await pause(3000);
      await startInstance(second, configFile);
    }
    await at(0.55);
    log('Redis restarted (SHUTDOWN, then started on the same port with its AOF)'); await redis.restart();
    await at(0.65);
    log('Postgres stopped (2 of 2)');
    const secondOutage = { from: Date.now(), to: 0 }; pgDown = true; postgres.stop();
    await pause(Math.min(15_000, durationMs * 0.06));
    postgres.start(); pgDown = false; secondOutage.to = Date.now(); pgOutages.push(secondOutage);
    log('Postgres back');
    await at(0.75);
    const first = instances[0];
    if (first !== undefined) {
      log('instance 0 SIGTERMed under load and started again');
      await stopInstance(first, 'SIGTERM');
      await startInstance(first, configFile);
    }
    await at(0.85);
    log('Redis paused (SIGSTOP) for 5 s'); redis.pause(); await pause(5000); redis.resume();
  })();

  await faults;
  await Promise.all(workers);
  running = false;
  log(`load done: ${outcomes.length} requests`);

  // The instance started during the outage must be serving by now.
  let lateStarterReady = false;
  if (lateStarter !== null) lateStarterReady = await waitReady(lateStarter, 60_000).then(() => true, () => false);
  // Let settlements and log rows land, then a graceful stop of every instance.
  await pause(3000);
  for (const instance of instances) await stopInstance(instance, 'SIGTERM');

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const rows = (await client.query<{ request_id: string; key_id: string | null; status_code: number; error_code: string | null; cost_usd: number; started_at: string; ended_at: string }>(
    'SELECT request_id, key_id, status_code, error_code, cost_usd::float8 AS cost_usd, started_at::text AS started_at, ended_at::text AS ended_at FROM request_logs',
  )).rows;
  const duplicates = (await client.query('SELECT request_id FROM request_logs GROUP BY request_id HAVING count(*) > 1')).rowCount ?? 0;
  await client.end();
  const raw = new Redis(redis.url);
  const spentNano = Number(await raw.get(`sluice:limit:{key:${keys.budget.id}:usd:total}:s`) ?? 0);
  const reservedNano = Number(await raw.get(`sluice:limit:{key:${keys.budget.id}:usd:total}:r`) ?? 0);
  raw.disconnect();

  const logged = new Set(rows.map((row) => row.request_id));
  const answered = outcomes.filter((outcome) => outcome.requestId !== null);
  const killed = (outcome: Outcome) => instances[outcome.instance]?.killedGenerations.has(outcome.generation) === true;
  const lost = answered.filter((outcome) => !killed(outcome) && !logged.has(outcome.requestId ?? ''));
  const lostOfKilled = answered.filter((outcome) => killed(outcome) && !logged.has(outcome.requestId ?? ''));
  const hangs = outcomes.filter((outcome) => outcome.failure === 'hang');
  const noAnswer = outcomes.filter((outcome) => outcome.failure === 'connection');
  const budgetRows = rows.filter((row) => row.key_id === keys.budget.id);
  const loggedBudgetUsd = budgetRows.reduce((sum, row) => sum + Number(row.cost_usd), 0);
  // The log has no admission time, only arrival and end: a request was admitted in between.
  // A window is certainly over the limit only if more than RPM requests lie wholly inside it.
  const rpmAdmitted = rows
    .filter((row) => row.key_id === keys.rpm.id && row.error_code !== 'rate_limit_exceeded' && row.error_code !== 'service_unavailable')
    .map((row) => ({ start: Number(row.started_at), end: Number(row.ended_at) })).sort((a, b) => a.start - b.start);
  let worstWindow = 0;
  let worstByArrival = 0;
  for (const first of rpmAdmitted) {
    const inside = rpmAdmitted.filter((row) => row.start >= first.start && row.end < first.start + 60_000).length;
    const arrived = rpmAdmitted.filter((row) => row.start >= first.start && row.start < first.start + 60_000).length;
    worstWindow = Math.max(worstWindow, inside);
    worstByArrival = Math.max(worstByArrival, arrived);
  }
  const errorCodes = new Map<string, number>();
  for (const row of rows) errorCodes.set(`${row.status_code} ${row.error_code ?? ''}`.trim(), (errorCodes.get(`${row.status_code} ${row.error_code ?? ''}`.trim()) ?? 0) + 1);
  const fiveHundredsWhilePgDown = outcomes.filter((outcome) => outcome.pgDown && outcome.status === 500).length;
  const fiveHundreds = outcomes.filter((outcome) => outcome.status === 500).length;
  const statuses = new Map<string, number>();
  for (const outcome of outcomes) {
    const label = outcome.status === null ? outcome.failure ?? 'none' : String(outcome.status);
    statuses.set(label, (statuses.get(label) ?? 0) + 1);
  }

  const checks: Array<{ name: string; pass: boolean; figure: string }> = [
    { name: 'every request one outcome, no hang', pass: hangs.length === 0, figure: `${outcomes.length} requests, ${hangs.length} hung (> ${CLIENT_TIMEOUT_MS / 1000} s), ${noAnswer.length} refused connections (instance down); statuses ${JSON.stringify(Object.fromEntries(statuses))}` },
    { name: '0 rows lost on SIGTERM or database stop', pass: lost.length === 0, figure: `${lost.length} of ${answered.length - lostOfKilled.length} answered requests without a row (the SIGKILLed process lost ${lostOfKilled.length}, not counted)` },
    { name: '0 duplicate rows', pass: duplicates === 0, figure: `${duplicates} duplicated request ids in ${rows.length} rows` },
    { name: 'budget key at or under its budget', pass: loggedBudgetUsd <= budgetUsd + 1e-9 && spentNano / 1e9 <= budgetUsd + 1e-9 && producedBudgetNano / 1e9 <= budgetUsd + 1e-9,
      figure: `budget $${budgetUsd.toFixed(4)}: produced upstream (reported usage) $${(producedBudgetNano / 1e9).toFixed(4)}, logged $${loggedBudgetUsd.toFixed(4)}, Redis spent $${(spentNano / 1e9).toFixed(4)} (+$${(reservedNano / 1e9).toFixed(4)} reserved at the end)` },
    { name: `rpm key within ${RPM} in every 60 s window`, pass: worstWindow <= RPM,
      figure: `worst window ${worstWindow} (requests wholly inside it; ${worstByArrival} by arrival time, which a slow admission can shift) of ${rpmAdmitted.length} admitted` },
    { name: '0 500s for virtual keys while Postgres is down', pass: fiveHundredsWhilePgDown === 0, figure: `${fiveHundredsWhilePgDown} during ${pgOutages.length} outages (${fiveHundreds} over the whole run)` },
    { name: 'an instance started during the outage ends up serving', pass: lateStarterReady, figure: lateStarterReady ? 'ready after Postgres returned' : 'never ready' },
    { name: 'logged spend equals budget spend within estimation error', pass: Math.abs(loggedBudgetUsd - spentNano / 1e9) <= Math.max(0.01, 0.02 * budgetUsd),
      figure: `logged $${loggedBudgetUsd.toFixed(4)} vs charged $${(spentNano / 1e9).toFixed(4)} (difference $${Math.abs(loggedBudgetUsd - spentNano / 1e9).toFixed(4)})` },
  ];
  process.stdout.write(`\nlog rows by status and error code: ${JSON.stringify(Object.fromEntries(errorCodes))}\n`);
  for (const check of checks) process.stdout.write(`${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.figure}\n`);

  return checks.every((check) => check.pass) ? 0 : 1;

  async function startInstance(instance: Instance, file: string): Promise<void> {
    instance.generation += 1;
    const child = spawn(process.execPath, ['bin/sluice.js', 'start', '--config', file, '--host', '127.0.0.1', '--port', String(instance.port)], {
      cwd: process.cwd(), stdio: ['ignore', 'ignore', 'inherit'],
    });
    instance.process = child;
    child.once('exit', () => {
      if (instance.process === child) instance.process = null;
    });
    await waitListening(instance.port, 60_000);
  }

  async function stopInstance(instance: Instance, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = instance.process;
    if (child === null) return;
    instance.process = null;
    if (signal === 'SIGKILL') instance.killedGenerations.add(instance.generation);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}

async function waitListening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const up = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status === 200, () => false);
    if (up) return;
    await pause(100);
  }
  throw new Error(`no instance listening on ${port}`);
}

async function waitReady(instance: Instance, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await fetch(`http://127.0.0.1:${instance.port}/health/ready`).then((response) => response.status === 200, () => false);
    if (ready) return;
    await pause(200);
  }
  throw new Error(`instance ${instance.index} never became ready`);
}

interface SoakRedis {
  url: string;
  pause(): void;
  resume(): void;
  sleep(seconds: number): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server on a fixed port with an append-only file, so a restart keeps the counters. */
async function startRedis(port: number): Promise<SoakRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-soak-redis-'));
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--enable-debug-command', 'yes'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      const up = await probe.connect().then(() => probe.ping(), () => null);
      probe.disconnect();
      if (up === 'PONG') return;
      await pause(50);
    }
    throw new Error('redis-server did not start');
  };
  const shutdown = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited;
  };
  await launch();
  const url = `redis://127.0.0.1:${port}`;
  return {
    url,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async sleep(seconds) {
      const client = new Redis(url);
      await client.call('DEBUG', 'SLEEP', String(seconds));
      client.disconnect();
    },
    async restart() {
      await shutdown();
      await launch();
    },
    async stop() {
      await shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function pause(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) throw new Error(`--duration: "${text}" is not a duration such as 90s or 10m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Number(match[1]) * unit;
}


async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => {});
  rmSync(directory, { recursive: true, force: true });
}

main().then(async (code) => {
  await cleanUp();
  process.exit(code);
}, async (error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  await cleanUp();
  process.exit(2);
});
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
