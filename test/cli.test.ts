import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/run-cli-in-process.js';

const CLI = resolve(import.meta.dirname, '../src/cli/main.ts');
// The TypeScript loader, by absolute path: the CLI runs from temporary directories.
const TSX = pathToFileURL(resolve(import.meta.dirname, '../node_modules/tsx/dist/loader.mjs')).href;

describe('the sluice command', () => {
  it('prints help', async () => {
    const run = await runCliInProcess(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('start');
    expect(run.stdout).toContain('config');
  });

  it('config check prints every problem with its path and exits 1', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    writeFileSync(join(cwd, 'sluice.yaml'), 'models:\n  - { name: a, targets: [{ provider: opnai, model: gpt-4o }] }\n');
    const run = await runCliInProcess(['config', 'check'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('models[0].targets[0].provider: unknown provider "opnai"');
    const json = await runCliInProcess(['config', 'check', '--json'], { cwd });
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, problems: [{ path: 'models[0].targets[0].provider' }] });
    const ok = await runCliInProcess(['config', 'check']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('embedded default: OK');
  });

  it('refuses to start in production without a master key', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    writeFileSync(join(cwd, 'sluice.yaml'), 'environment: production\nproviders: [{ name: o, type: openai }]\n');
    const run = await runCliInProcess(['start'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('auth.master_key: required when environment is production');
  });

  // The one test that spawns the real executable: a smoke test of `sluice start` end to end.
  it('starts on the embedded default, prints a generated admin key that survives restarts, and serves the mock provider', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
    const first = await startAndAsk(cwd);
    const second = await startAndAsk(cwd);
    expect(first.adminKey).toMatch(/^sk-sluice-admin-/);
    expect(second.adminKey).toBe(first.adminKey);
    expect(first.answer).toBe('hello from the cli test');
    // Two processes that compile the sources with tsx: seconds each on a busy machine.
  }, 60_000);
});

async function startAndAsk(cwd: string): Promise<{ adminKey: string; answer: string | null | undefined }> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'start', '--port', '0'], {
    cwd, env: { PATH: process.env['PATH'] ?? '' },
  });
  try {
    let output = '';
    const banner = await new Promise<string>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${output}`)), 28_000);
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        if (output.includes('Admin key:')) {
          clearTimeout(timer);
          resolvePromise(output);
        }
      });
      child.on('exit', () => reject(new Error(`exited: ${output}`)));
    });
    const url = /running at (http:\/\/[\d.:]+)/.exec(banner)?.[1];
    const adminKey = /Admin key:\s+(\S+)/.exec(banner)?.[1];
    if (url === undefined || adminKey === undefined) throw new Error(`unexpected banner: ${banner}`);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: adminKey, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hello from the cli test' }] });
    return { adminKey, answer: completion.choices[0]?.message.content };
  } finally {
    const exited = new Promise((resolvePromise) => child.on('exit', resolvePromise));
    child.kill('SIGTERM');
    await exited;
  }
}
