import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/run-cli-in-process.js';

describe('sluice experiments', () => {
  it('lists a config-declared draft, starts it, shows its results and stops it with a winner, on the database directly', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sluice-cli-experiments-'));
    writeFileSync(join(cwd, 'sluice.yaml'), [
      'auth: { master_key: sk-cli-master-key }',
      'storage: { database_url: "sqlite://./state/sluice.db" }',
      'logging: { level: silent }',
      'providers: [{ name: mock, type: mock }]',
      'models:',
      '  - { name: assistant, targets: [{ provider: mock, model: echo }] }',
      'experiments:',
      '  - name: cli-ab',
      '    target: { model: assistant }',
      '    variants: [{ name: control, weight: 1 }, { name: b, weight: 1, params: { temperature: 0 } }]',
      '    min_samples_per_variant: 50',
      '',
    ].join('\n'));
    const sluice = (args: string[]) => runCliInProcess(args, { cwd });

    const listed = await sluice(['experiments', 'list']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/cli-ab\s+model:assistant\s+draft\s+1\s+user\s+control=1 b=1\s+-/);

    expect((await sluice(['experiments', 'start', 'cli-ab'])).stdout).toBe('cli-ab is running (phase 1)\n');
    const results = await sluice(['experiments', 'results', 'cli-ab']);
    expect(results.code).toBe(0);
    expect(results.stdout).toContain('cli-ab phase 1 (running), primary metric success_rate');
    expect(results.stdout).toContain('Not enough data: control has 0 of 50, b has 0 of 50 samples.');

    const stopped = await sluice(['experiments', 'stop', 'cli-ab', '--winner', 'b']);
    expect(stopped.stdout).toBe('cli-ab is stopped, winner b\n');
    const json = await sluice(['experiments', 'list', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ data: [{ name: 'cli-ab', status: 'stopped', winner: 'b', source: 'config' }] });

    const refused = await sluice(['experiments', 'start', 'cli-ab']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('409');
  });
});
