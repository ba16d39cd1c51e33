/**
 * `sluice start --workers 2`: a scrape lands on either worker, and each must show the whole
 * process group (the primary sums every worker's registry), so counters never go backwards.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText, promtoolCheckMetrics, sumOf } from './support/prometheus-text.js';

const MASTER_KEY = 'sk-test-master-key-workers';

/** One request on a fresh connection, so the primary hands it to the next worker in turn. */
function send(baseUrl: string, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${baseUrl}${path}`, {
      method, agent: false, headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('metrics under --workers 2', () => {
  let directory: string;
  let child: ChildProcess;
  let baseUrl: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-workers-'));
    const configFile = join(directory, 'sluice.yaml');
    writeFileSync(configFile, [
      'auth:', `  master_key: ${MASTER_KEY}`,
      'storage:', `  database_url: sqlite://${join(directory, 'sluice.db')}`,
      'logging:', '  level: warn',
      'providers:', '  - { name: mock, type: mock }',
    ].join('\n'));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', configFile, '--port', '0', '--workers', '2'], {
      cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    baseUrl = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /running at (http:\/\/[\d.:]+)/.exec(text);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      setTimeout(() => reject(new Error(`gateway did not start: ${errors}`)), 150_000).unref();
    });
    // Both workers must be listening before traffic is spread over them.
    for (let tries = 0; tries < 100; tries += 1) {
      const ready = await Promise.all([send(baseUrl, 'GET', '/health'), send(baseUrl, 'GET', '/health')]);
      if (ready.every((response) => response.status === 200)) break;
    }
  }, 180_000);

  afterAll(async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    rmSync(directory, { recursive: true, force: true });
  });

  it('shows sluice_requests_total summing to N on every scrape', async () => {
    const total = 20;
    for (let index = 0; index < total; index += 1) {
      const response = await send(baseUrl, 'POST', '/v1/chat/completions', JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: `hi ${index}` }] }));
      expect(response.status).toBe(200);
    }
    for (let scrape = 0; scrape < 6; scrape += 1) {
      const response = await send(baseUrl, 'GET', '/metrics');
      expect(response.status, response.text).toBe(200);
      const samples = parsePrometheusText(response.text);
      expect(sumOf(samples, 'sluice_requests_total')).toBe(total);
      expect(sumOf(samples, 'sluice_requests_total', { model: 'mock/echo', provider: 'mock', status_class: '2xx' })).toBe(total);
      if (scrape === 0) expect(promtoolCheckMetrics(response.text).output).toBe('');
    }
  }, 60_000);
});
