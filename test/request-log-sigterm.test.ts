import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/storage/index.js';
import { openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';

const MASTER_KEY = 'sk-test-master-key-sigterm';

describe('SIGTERM under load', () => {
  let directory: string;
  let upstream: MockUpstream;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-sigterm-'));
    upstream = await startMockUpstream({ recordRequests: false });
    upstream.route('/v1/chat/completions', () => ({ ...openaiCompletion({ model: 'gpt-4o-mini' }), delayMs: 150 }));
  });
  afterAll(async () => {
    await upstream.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('drains in-flight requests and writes a row for every request that got an answer', async () => {
    const configFile = join(directory, 'sluice.yaml');
    writeFileSync(configFile, [
      'auth:', `  master_key: ${MASTER_KEY}`,
      'storage:', `  database_url: sqlite://${join(directory, 'data', 'sluice.db')}`,
      'logging:', '  level: warn', '  request_log: { flush_interval_ms: 5000, batch_size: 5000 }',
      'providers:', '  - { name: up, type: openai, api_key: sk-up, base_url: "' + upstream.url + '/v1" }',
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', configFile, '--port', '0'], {
      cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const baseUrl = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /running at (http:\/\/[\d.:]+)/.exec(text);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      // Generous: tsx compiles the sources first, and a busy shared machine can take tens of seconds.
      setTimeout(() => reject(new Error(`gateway did not start: ${output}`)), 60_000).unref();
    });

    const answered = new Set<string>();
    let succeeded = 0;
    let stopping = false;
    // SIGTERM lands once enough requests succeeded, however slow the machine, with 40 more in flight.
    let underLoad: () => void = () => {};
    const loaded = new Promise<void>((resolve) => { underLoad = resolve; });
    const worker = async (): Promise<void> => {
      while (true) {
        try {
          const response = await fetch(`${baseUrl}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
          });
          await response.arrayBuffer();
          const requestId = response.headers.get('x-request-id');
          if (requestId !== null) answered.add(requestId);
          if (response.status === 200 && (succeeded += 1) === 120) underLoad();
          if (stopping && requestId === null) return;
        } catch {
          if (stopping) return;
        }
      }
    };
    const workers = Array.from({ length: 40 }, () => worker());
    await loaded;
    stopping = true;
    child.kill('SIGTERM');
    await Promise.all(workers);
    expect(await exited).toBe(0);

    const database = await openDatabase(`sqlite://${join(directory, 'data', 'sluice.db')}`, { cwd: directory });
    try {
      const rows = await database.requestLog.list({ since: 0, until: Date.now() + 1 }, { limit: 1000 }, {});
      const logged = rows.data.map((row) => row.requestId);
      expect(succeeded).toBeGreaterThan(100);
      expect(logged.length).toBe(new Set(logged).size);
      expect(new Set(logged)).toEqual(answered);
      expect(rows.data.filter((row) => row.statusCode === 200)).toHaveLength(succeeded);
    } finally {
      await database.close();
    }
  }, 120_000);
});
