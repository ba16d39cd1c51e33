import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { assertLoopbackUrl, LOOPBACK_HOST, loopbackOrigin } from './loopback.js';
import { spawnManagedProcess, type ManagedProcess } from './managed-process.js';
import { GATEWAY_MASTER_KEY } from './request-fixtures.js';

export type TargetKind = 'direct' | 'bare' | 'gateway';

/** Something the load generators can be pointed at. */
export interface Target {
  /** Unique, used in tables and the JSON report. */
  name: string;
  kind: TargetKind;
  /** Origin, always `http://127.0.0.1:<port>`. */
  url: string;
  /** The process whose CPU and memory we account to this target. */
  pid: number;
  /** Extra request headers (e.g. the gateway's Authorization). */
  headers: Readonly<Record<string, string>>;
  /** Where the process's stdout/stderr go. */
  logPath?: string;
}

export interface TargetLauncherOptions {
  repositoryRoot: string;
  /** Temp directory for configs, logs and the gateways' `.sluice/` state. */
  workDirectory: string;
  /** Transpiled mock upstream and bare proxy (see fixture-compiler.ts). */
  mockUpstreamScript: string;
  bareProxyScript: string;
  startupTimeoutMilliseconds?: number;
  /**
   * Pin the proxies under test (gateway and bare proxy) to this CPU with `taskset`, so each
   * measures what one core can do while the mock upstream and the load generator use the others.
   */
  pinnedCore?: number | null | undefined;
  /**
   * Run the proxies under test (gateway and bare proxy) under this command, e.g.
   * `['valgrind', '--tool=callgrind']` for instruction counts (bench/instructions.ts).
   */
  commandPrefix?: readonly string[] | undefined;
}

/** Finds a free TCP port on 127.0.0.1 by binding port 0 and releasing it. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, LOOPBACK_HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function httpGetStatus(url: string): Promise<number> {
  assertLoopbackUrl(url);
  return new Promise((resolve) => {
    const request = get(url, { agent: false, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(0));
  });
}

/** Polls `GET <origin>/health` until 200; fails early if the process exits. */
export async function waitForHealth(origin: string, managed: ManagedProcess, timeoutMilliseconds: number): Promise<void> {
  const deadline = Date.now() + timeoutMilliseconds;
  while (Date.now() < deadline) {
    if (managed.hasExited) {
      throw new Error(`${managed.name} ${managed.exitDescription} before it was ready:\n${managed.outputTail()}`);
    }
    if ((await httpGetStatus(`${origin}/health`)) === 200) {
      return;
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${managed.name} did not answer GET /health with 200 within ${timeoutMilliseconds} ms:\n${managed.outputTail()}`);
}

/**
 * Environment for spawned processes: no provider keys (the gateway would add real providers for
 * them), no SLUICE_* overrides, no HTTP proxies. Keeps all traffic on 127.0.0.1.
 */
export function isolatedEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const upper = key.toUpperCase();
    if (upper.endsWith('_API_KEY') || upper.startsWith('SLUICE_') || upper.endsWith('_PROXY')) {
      continue;
    }
    environment[key] = value;
  }
  environment.NO_PROXY = LOOPBACK_HOST;
  return environment;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep-merges `overlay` into `base`: objects merge key by key, everything else is replaced. */
export function mergeConfig(base: unknown, overlay: unknown): unknown {
  if (!isRecord(base) || !isRecord(overlay)) {
    return overlay === undefined ? base : overlay;
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overlay)) {
    merged[key] = mergeConfig(base[key], value);
  }
  return merged;
}

function slug(name: string): string {
  return name.replace(/[^a-zA-Z0-9._-]+/g, '-');
}

/** Starts the benchmark's processes. Start the mock upstream first: the others point at it. */
export class TargetLauncher {
  private readonly options: TargetLauncherOptions;
  private mockOrigin: string | undefined;
  private readonly processes = new Map<string, ManagedProcess>();

  constructor(options: TargetLauncherOptions) {
    this.options = options;
  }

  private get startupTimeout(): number {
    return this.options.startupTimeoutMilliseconds ?? 30_000;
  }

  /** The process behind a target, by target name. */
  processOf(targetName: string): ManagedProcess | undefined {
    return this.processes.get(targetName);
  }

  get gatewayAvailable(): boolean {
    return existsSync(join(this.options.repositoryRoot, 'dist', 'cli', 'main.js'));
  }

  private requireMockOrigin(): string {
    if (this.mockOrigin === undefined) {
      throw new Error('start the mock upstream before the proxies');
    }
    return this.mockOrigin;
  }

  private async launch(name: string, kind: TargetKind, args: readonly string[], port: number, cwd: string, headers: Readonly<Record<string, string>>): Promise<Target> {
    const origin = loopbackOrigin(port);
    assertLoopbackUrl(origin);
    const logPath = join(cwd, `${slug(name)}.log`);
    const pinned = this.options.pinnedCore ?? null;
    const pin = pinned !== null && (kind === 'gateway' || kind === 'bare');
    const prefix = kind === 'direct' ? [] : (this.options.commandPrefix ?? []);
    const launcher = [...(pin ? ['taskset', '-c', String(pinned)] : []), ...prefix, process.execPath, ...args];
    const managed = spawnManagedProcess({
      name,
      // taskset and valgrind exec node in place, so the pid (whose CPU time is measured) is node's.
      command: launcher[0] ?? process.execPath,
      args: launcher.slice(1),
      cwd,
      env: isolatedEnvironment(),
      logPath,
    });
    this.processes.set(name, managed);
    await waitForHealth(origin, managed, this.startupTimeout);
    return { name, kind, url: origin, pid: managed.pid, headers, logPath };
  }

  /** The mock upstream; as a target it is "direct" (clients call the mock without a proxy). */
  async startMockUpstream(name = 'direct'): Promise<Target> {
    const port = await findFreePort();
    const target = await this.launch(name, 'direct', [this.options.mockUpstreamScript, '--port', String(port)], port, this.options.workDirectory, {});
    this.mockOrigin = target.url;
    return target;
  }

  /** node:http + undici Pool pass-through to the mock: the floor. */
  async startBareProxy(name = 'bare'): Promise<Target> {
    const upstream = this.requireMockOrigin();
    const port = await findFreePort();
    return this.launch(name, 'bare', [this.options.bareProxyScript, '--port', String(port), '--upstream', upstream], port, this.options.workDirectory, {});
  }

  /**
   * `node bin/sluice.js start --config <tmp>/config.yaml --port <free>` with cwd = its own temp
   * directory (so `.sluice/` state lands there). `extraYaml` is deep-merged over the base config,
   * e.g. `logging: { level: warn }` or a rate-limit section, to add gateway variants.
   */
  async startGateway(name: string, extraYaml = ''): Promise<Target> {
    const upstream = this.requireMockOrigin();
    const directory = join(this.options.workDirectory, slug(name));
    await mkdir(directory, { recursive: true });
    const baseConfig: Record<string, unknown> = {
      // Production, as operators run it: the production rules hold and pretty logging is off.
      environment: 'production',
      server: { host: LOOPBACK_HOST, port: 0 },
      auth: { master_key: GATEWAY_MASTER_KEY },
      providers: [{ name: 'upstream', type: 'openai', base_url: `${upstream}/v1`, api_key: 'sk-upstream' }],
      models: [{ name: 'bench', targets: [{ provider: 'upstream', model: 'bench-model' }] }],
    };
    const overlay: unknown = extraYaml.trim() === '' ? undefined : parse(extraYaml.replaceAll('{{UPSTREAM}}', upstream));
    const config = mergeConfig(baseConfig, overlay);
    const configPath = join(directory, 'config.yaml');
    await writeFile(configPath, stringify(config));
    const port = await findFreePort();
    const cliPath = join(this.options.repositoryRoot, 'bin', 'sluice.js');
    return this.launch(name, 'gateway', [cliPath, 'start', '--config', configPath, '--port', String(port)], port, directory, {
      authorization: `Bearer ${GATEWAY_MASTER_KEY}`,
    });
  }
}
