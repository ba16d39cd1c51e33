import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A real, throwaway Postgres for tests: initdb + pg_ctl in a temp dir on a free port. Postgres
 * refuses to run as root, so as root it runs as the `postgres` user. Needs the Debian
 * `postgresql` package (binaries in /usr/lib/postgresql/<v>/bin or on PATH).
 */
export interface PostgresServer {
  readonly url: string;
  readonly port: number;
  /** Fast shutdown: every connection is cut. */
  stop(): void;
  start(): void;
  /** Stops the server and removes its files. */
  destroy(): void;
}

export function findPostgresBinaries(): string | null {
  for (const version of ['17', '16', '15', '14', '13']) {
    const directory = `/usr/lib/postgresql/${version}/bin`;
    if (existsSync(join(directory, 'pg_ctl'))) return directory;
  }
  const found = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? join(path, '..') : null;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const binaries = findPostgresBinaries();
  if (binaries === null) throw new Error('postgres is not installed (apt-get install -y postgresql)');
  const asRoot = process.getuid?.() === 0;
  const directory = mkdtempSync(join(tmpdir(), 'sluice-pg-'));
  const dataDirectory = join(directory, 'data');
  const socketDirectory = directory;
  chmodSync(directory, 0o700);
  if (asRoot) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const group = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(directory, Number(ids), Number(group));
  }
  const run = (command: string, args: string[]): void => {
    const full = join(binaries, command);
    const result = asRoot
      ? spawnSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8' })
      : spawnSync(full, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.stdout}`);
  };
  const port = await freePort();
  run('initdb', ['-D', dataDirectory, '-U', 'sluice', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = (): void => run('pg_ctl', [
    '-D', dataDirectory, '-w', '-t', '30', '-l', join(directory, 'server.log'),
    '-o', `-p ${port} -k ${socketDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
    'start',
  ]);
  const stop = (): void => run('pg_ctl', ['-D', dataDirectory, '-w', '-t', '30', '-m', 'fast', 'stop']);
  start();
  let running = true;
  return {
    url: `postgres://sluice@127.0.0.1:${port}/postgres`,
    port,
    stop() {
      if (!running) return;
      stop();
      running = false;
    },
    start() {
      if (running) return;
      start();
      running = true;
    },
    destroy() {
      try {
        if (running) stop();
      } finally {
        running = false;
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}

/** Creates a fresh database on the server, so suites sharing one server never see each other's rows. */
export async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return server.url.replace(/\/postgres$/, `/${name}`);
}

