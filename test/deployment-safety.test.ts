import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfig, ConfigError, configNotices, loadConfig, resolveConfig } from '../src/config/index.js';
import { runCliInProcess } from './support/run-cli-in-process.js';

const LONG_KEY = 'sk-master-0123456789abcdefghijklmnop';

describe('staging and production refuse what exposes the admin API, in config check and start alike', () => {
  let cwd: string;
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  function writeConfig(text: string): string {
    cwd = mkdtempSync(join(tmpdir(), 'sluice-deploy-'));
    const file = join(cwd, 'sluice.yaml');
    writeFileSync(file, text);
    return file;
  }

  for (const environment of ['staging', 'production']) {
    it(`${environment}: a wildcard CORS origin and a master key under 32 characters are refused by both paths`, async () => {
      const file = writeConfig(`environment: ${environment}
server: { cors_origins: ["https://app.example.com", "*"] }
auth: { master_key: sk-short-master-key-1234 }
providers: [{ name: o, type: openai }]
`);
      const expected = [
        `server.cors_origins[1]: "*" is not allowed when environment is ${environment} (the admin API is served on the same origin); list the origins`,
        `auth.master_key: must be at least 32 characters when environment is ${environment}`,
      ];
      const checked = checkConfig({ file, env: {} });
      expect(checked.problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual(expected);
      // `start` loads the config with loadConfig: it refuses the same file with the same problems.
      let thrown: unknown = null;
      try {
        loadConfig({ file, env: {} });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect(thrown instanceof ConfigError ? thrown.problems.map((problem) => `${problem.path}: ${problem.message}`) : []).toEqual(expected);
      const start = await runCliInProcess(['start', '--config', file], { cwd });
      expect(start.code).toBe(1);
      for (const line of expected) expect(start.stderr).toContain(line);
    });
  }

  it('development keeps allowing both, and a long key with listed origins passes in production', () => {
    expect(resolveConfig({ server: { cors_origins: ['*'] }, auth: { master_key: 'sk-short-1' } }).ok).toBe(true);
    expect(resolveConfig({ environment: 'production', server: { cors_origins: ['https://app.example.com'] }, auth: { master_key: LONG_KEY } }).ok).toBe(true);
  });

  it('says when the gateway listens on every interface, in config check and at start', async () => {
    const resolved = resolveConfig({ environment: 'production', server: { host: '0.0.0.0' }, auth: { master_key: LONG_KEY } });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    expect(configNotices(resolved.config)).toEqual([expect.stringContaining('every network interface')]);
    expect(configNotices(resolved.config, '::')).toHaveLength(1);
    expect(configNotices(resolved.config, '127.0.0.1')).toEqual([]);

    const file = writeConfig(`environment: production\nserver: { host: 0.0.0.0 }\nauth: { master_key: ${LONG_KEY} }\nproviders: [{ name: o, type: openai }]\n`);
    const check = await runCliInProcess(['config', 'check', '--config', file], { cwd });
    expect(check.code).toBe(0);
    expect(check.stderr).toContain('listens on every network interface');
  });
});
