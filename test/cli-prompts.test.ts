import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from './support/run-cli-in-process.js';
import type { CliRun } from './support/run-cli-in-process.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

let gateway: TestGateway;
const directory = mkdtempSync(join(tmpdir(), 'sluice-cli-prompts-'));
beforeAll(async () => {
  gateway = await startTestGateway({ providers: [{ name: 'mock', type: 'mock', models: ['echo'] }] });
});
afterAll(async () => {
  await gateway?.close();
});

function sluice(args: string[]): Promise<CliRun> {
  return runCliInProcess([...args, '--url', gateway.url, '--admin-key', TEST_MASTER_KEY], { cwd: directory });
}

const file = join(directory, 'summarise.yaml');
const prompt = (words: number, labels: string) => `
description: Summaries for the support desk
template: "Summarise in ${words} words: {{text}}"
model_config: { model: mock/echo }
labels: [${labels}]
commit_message: ${words} words
`;

describe('sluice prompts', () => {
  it('pushes a file: created, then unchanged, then a new version with its labels moved', async () => {
    writeFileSync(file, prompt(20, 'staging'));
    expect(await sluice(['prompts', 'push', file])).toMatchObject({ code: 0, stdout: 'summarise: created, version 1\n  staging: - → 1\n' });
    expect(await sluice(['prompts', 'push', file])).toMatchObject({ code: 0, stdout: 'summarise: unchanged, version 1\n' });
    writeFileSync(file, prompt(10, 'staging, production'));
    expect(await sluice(['prompts', 'push', file])).toMatchObject({
      code: 0, stdout: 'summarise: new version, version 2\n  staging: 1 → 2\n  production: - → 2\n',
    });
  }, 150_000);

  it('moves a label back, shows the history and the version production serves', async () => {
    expect(await sluice(['prompts', 'label', 'summarise', 'production', '1', '--reason', 'too terse'])).toMatchObject({
      code: 0, stdout: 'summarise: production: 2 → 1\n',
    });
    const history = await sluice(['prompts', 'history', 'summarise', '--label', 'production']);
    expect(history.stdout.split('\n').slice(1, 3).map((line) => line.split(/\s{2,}/).slice(1))).toEqual([
      ['production', '2', '1', 'master', 'too terse'], ['production', '-', '2', 'master', '10 words'],
    ]);
    const shown = await sluice(['prompts', 'show', 'summarise']);
    expect(shown.stdout).toContain('summarise (text): version 1 of 2');
    expect(shown.stdout).toContain('Summarise in 20 words: {{text}}');
  }, 150_000);
});
