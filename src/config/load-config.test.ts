import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfig, loadConfig } from './load-config.js';
import { ConfigError } from './config-error.js';

function writeConfig(text: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-config-'));
  const file = join(directory, 'sluice.yaml');
  writeFileSync(file, text);
  return file;
}

describe('loadConfig', () => {
  it('uses the embedded default with no file: development, the mock provider, keys from the environment', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sluice-empty-'));
    const { config, source } = loadConfig({ cwd, env: { OPENAI_API_KEY: 'sk-live' } });
    expect(source).toBe('embedded default');
    expect(config.environment).toBe('development');
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 4000 });
    expect(config.storage.database_url).toBe('sqlite://./.sluice/sluice.db');
    expect(config.providers.map((provider) => [provider.name, provider.type])).toEqual([['mock', 'mock'], ['openai', 'openai']]);
    expect(Object.isFrozen(config.providers[0])).toBe(true);
  });

  it('finds the file through $SLUICE_CONFIG and substitutes ${VAR} and ${VAR:-default}', () => {
    const file = writeConfig(`
server:
  port: \${PORT:-4100}
  trust_proxy: \${TRUST:-true}
auth:
  master_key: \${MASTER}
providers:
  - name: up
    type: openai
    base_url: "http://\${HOST}:8000/v1"
    api_key: \${UP_KEY:-none}
models:
  - name: chat
    targets: [{ provider: up, model: served }]
`);
    const { config, source } = loadConfig({ env: { SLUICE_CONFIG: file, MASTER: 'sk-master-123', HOST: '10.0.0.5' } });
    expect(source).toBe(file);
    expect(config.server.port).toBe(4100);
    expect(config.server.trust_proxy).toBe(true);
    expect(config.auth.master_key).toBe('sk-master-123');
    expect(config.providers[0]).toMatchObject({ base_url: 'http://10.0.0.5:8000/v1', api_key: 'none', timeout_ms: 60_000 });
    expect(config.models[0]).toMatchObject({ strategy: 'fallback', retry: { max_attempts: 3 } });
  });

  it('reports every problem with its path', () => {
    const file = writeConfig(`
environment: production
server: { port: 99999, colour: blue }
auth:
  master_key: \${MISSING_KEY}
providers:
  - { name: openai, type: openai }
  - { name: fake, type: mock }
models:
  - { name: a, targets: [{ provider: openai, model: gpt }] }
  - { name: b, targets: [{ provider: openai, model: gpt }], fallback_models: [c] }
  - { name: c, targets: [{ provider: opnai, model: gpt }] }
`);
    const result = checkConfig({ file, env: {} });
    expect(result.config).toBeNull();
    const problems = result.problems.map((problem) => `${problem.path}: ${problem.message}`);
    expect(problems).toContain('auth.master_key: environment variable MISSING_KEY is not set');
    expect(problems.some((problem) => problem.startsWith('server.port:'))).toBe(true);
    expect(problems.some((problem) => problem.startsWith('server:') && problem.includes('colour'))).toBe(true);

    const second = checkConfig({ file: writeConfig(`
environment: production
providers:
  - { name: openai, type: openai }
  - { name: fake, type: mock }
models:
  - { name: b, targets: [{ provider: openai, model: gpt }], fallback_models: [zzz] }
  - { name: c, targets: [{ provider: opnai, model: gpt }] }
`), env: {} });
    expect(second.problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual(expect.arrayContaining([
      'models[1].targets[0].provider: unknown provider "opnai"',
      'models[0].fallback_models[0]: unknown model "zzz"',
      'providers[1].type: the mock provider is not allowed in production',
      'auth.master_key: required when environment is production',
    ]));
  });

  it('throws a ConfigError listing the problems', () => {
    const file = writeConfig('providers: [{ name: x, type: nope }]');
    expect(() => loadConfig({ file })).toThrow(ConfigError);
    expect(() => loadConfig({ file: '/nonexistent/sluice.yaml' })).toThrow(/file not found/);
  });
});
