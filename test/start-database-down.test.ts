import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';
import { freePort } from './support/free-port.js';

const MASTER_KEY = 'sk-test-master-key-start-database-down';

/** Issue 11, point 5: `sluice start` with the database down, and a fatal start error. */
describe('start with the database down', () => {
  let server: PostgresServer;
  let databaseUrl: string;
  let directory: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    server = await startPostgresServer();
    databaseUrl = await createDatabase(server, 'gateway');
    directory = mkdtempSync(join(tmpdir(), 'sluice-start-down-'));
  });
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    server?.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  function start(port: number): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
    const configFile = join(directory, 'sluice.yaml');
    writeFileSync(configFile, JSON.stringify({
      auth: { master_key: MASTER_KEY },
      storage: { database_url: databaseUrl },
      logging: { level: 'warn', request_log: { flush_interval_ms: 50 } },
      providers: [{ name: 'mock', type: 'mock' }],
      models: [{ name: 'echo', targets: [{ provider: 'mock', model: 'echo' }] }],
    }));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', configFile, '--host', '127.0.0.1', '--port', String(port)], {
      cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, exited, output: () => output };
  }

  async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 45_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read().catch(() => undefined);
      if (value !== undefined && done(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('listens, is live but not ready, retries the migration and becomes ready when the database returns', async () => {
    server.stop();
    const port = await freePort();
    const gateway = start(port);
    const base = `http://127.0.0.1:${port}`;
    const health = await poll(() => fetch(`${base}/health`), (response) => response.status === 200, 'the gateway to listen');
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { database: { status: 'unreachable' } } });

    server.start();
    await poll(() => fetch(`${base}/health/ready`), (response) => response.status === 200, 'readiness after the database returned');
    const answer = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(answer.status).toBe(200);
    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
  }, 90_000);

  it('a fatal start error (the port is taken) exits non-zero', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const gateway = start(port);
      const code = await gateway.exited;
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(gateway.output()).toMatch(/EADDRINUSE/);
    } finally {
      taken.close();
    }
  }, 60_000);
});

