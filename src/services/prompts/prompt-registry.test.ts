import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../test/support/manual-clock.js';
import { DisabledPromptChangeFeed, openDatabase } from '../../storage/index.js';
import type { Database } from '../../storage/index.js';
import { createPromptRegistry } from './create-prompt-registry.js';
import { promptDefinitionSchema } from './prompt-definition.js';
import { PromptRegistry } from './prompt-registry.js';

const quiet = { info: () => {}, warn: () => {} };

describe('PromptRegistry', () => {
  let directory: string;
  let database: Database;
  let clock: ManualClock;
  let registry: PromptRegistry;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-registry-'));
    database = await openDatabase(`sqlite://${join(directory, 'sluice.db')}`, { cwd: directory });
    await database.migrate();
    clock = new ManualClock();
    registry = new PromptRegistry({ store: database.prompts, feed: new DisabledPromptChangeFeed(), cacheTtlMs: 10_000, clock: () => clock.now() });
  });
  afterEach(async () => {
    await database.close().catch(() => {});
    rmSync(directory, { recursive: true, force: true });
  });

  const definition = (content: string, extra: Record<string, unknown> = {}) => promptDefinitionSchema.parse({
    name: 'greet', template: [{ role: 'system', content }], model_config: { temperature: 0.1 }, ...extra,
  });
  const moveBehindItsBack = (version: number) => database.prompts.getPrompt(null, 'greet').then((prompt) =>
    database.prompts.moveLabel(prompt?.id ?? '', { label: 'production', version, actor: 'elsewhere', reason: null, at: 0 }));

  it('serves production when asked for nothing, else the latest version; a label or version when named', async () => {
    await registry.create('alice', definition('v1'));
    expect(await registry.resolve({ name: 'greet', tenantId: null })).toMatchObject({ label: 'latest', version: { version: 1 } });
    await registry.addVersion('alice', null, 'greet', definition('v2', { labels: ['production'] }));
    await registry.addVersion('alice', null, 'greet', definition('v3', { labels: ['staging'] }));
    expect(await registry.resolve({ name: 'greet', tenantId: null })).toMatchObject({ label: 'production', version: { version: 2 } });
    expect(await registry.resolve({ name: 'greet', label: 'staging', tenantId: null })).toMatchObject({ label: 'staging', version: { version: 3 } });
    expect(await registry.resolve({ name: 'greet', label: 'latest', tenantId: null })).toMatchObject({ version: { version: 3 } });
    expect(await registry.resolve({ name: 'greet', version: 1, tenantId: null })).toMatchObject({ label: null, version: { version: 1 } });
    await expect(registry.resolve({ name: 'greet', label: 'nope', tenantId: null })).rejects.toMatchObject({ code: 'not_found', param: 'prompt_label' });
    await expect(registry.resolve({ name: 'nope', tenantId: null })).rejects.toMatchObject({ code: 'not_found', param: 'prompt_id' });
  });

  it('sees its own label moves at once, and another writer\'s after the TTL', async () => {
    await registry.create('alice', definition('v1', { labels: ['production'] }));
    await registry.addVersion('alice', null, 'greet', definition('v2'));
    expect((await registry.resolve({ name: 'greet', tenantId: null })).version.version).toBe(1);
    await registry.moveLabel('bob', null, 'greet', 'production', 2, 'ship it');
    expect((await registry.resolve({ name: 'greet', tenantId: null })).version.version).toBe(2);
    await moveBehindItsBack(1);
    await clock.advance(9_999);
    expect((await registry.resolve({ name: 'greet', tenantId: null })).version.version).toBe(2);
    await clock.advance(1);
    expect((await registry.resolve({ name: 'greet', tenantId: null })).version.version).toBe(1);
  });

  it('prefers the tenant\'s own prompt over a global one of the same name', async () => {
    await registry.create('alice', definition('global'));
    await registry.create('alice', definition('acme', { tenant: 'acme' }));
    expect((await registry.resolve({ name: 'greet', tenantId: 'acme' })).version.template).toEqual([{ role: 'system', content: 'acme' }]);
    expect((await registry.resolve({ name: 'greet', tenantId: 'globex' })).version.template).toEqual([{ role: 'system', content: 'global' }]);
  });

  it('serves the last known version when the database fails, and says so in its health', async () => {
    await registry.create('alice', definition('v1', { labels: ['production'] }));
    await registry.resolve({ name: 'greet', tenantId: null });
    expect(registry.health()).toMatchObject({ status: 'ok', feed: 'not_configured', cachedReferences: 1 });
    await database.close();
    await clock.advance(60_000);
    expect((await registry.resolve({ name: 'greet', tenantId: null })).version.version).toBe(1);
    expect(registry.health()).toMatchObject({ status: 'degraded', lastErrorAt: clock.now() });
    await expect(registry.resolve({ name: 'other', tenantId: null })).rejects.toMatchObject({ code: 'service_unavailable' });
  });

  it('refuses a template of the wrong type for the prompt, and partials', async () => {
    await registry.create('alice', definition('v1'));
    await expect(registry.addVersion('alice', null, 'greet', promptDefinitionSchema.parse({ name: 'greet', template: 'text now' })))
      .rejects.toMatchObject({ code: 'invalid_request', param: 'template' });
    await expect(registry.addVersion('alice', null, 'greet', definition('{{> other}}'))).rejects.toMatchObject({ param: 'template[0].content' });
  });
});

describe('prompts as code', () => {
  let directory: string;
  let database: Database;

  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-prompt-files-'));
    database = await openDatabase(`sqlite://${join(directory, 'sluice.db')}`, { cwd: directory });
    await database.migrate();
  });
  afterEach(async () => {
    await database.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const startWith = async (files: Record<string, string>) => {
    for (const [file, text] of Object.entries(files)) writeFileSync(join(directory, file), text);
    const { registry, start } = createPromptRegistry({
      store: database.prompts, feed: new DisabledPromptChangeFeed(), cacheTtlMs: 10_000, definitions: [], directory, logger: quiet,
    });
    await start();
    return registry;
  };
  const invoice = (temperature: number, labels: string) => `
template:
  - role: system
    content: Extract the total.
  - role: user
    content: "{{text}}"
model_config: { model: smart, temperature: ${temperature} }
labels: [${labels}]
commit_message: temperature ${temperature}
`;

  it('makes no new version for an unchanged file, and a new version with its labels moved for an edited one', async () => {
    let registry = await startWith({ 'invoice.yaml': invoice(0.2, 'production'), 'notes.txt': 'ignored' });
    expect(await registry.get(null, 'invoice')).toMatchObject({ prompt: { source: 'config', type: 'chat' }, labels: { production: 1 }, latestVersion: 1 });

    registry = await startWith({ 'invoice.yaml': invoice(0.2, 'production') });
    expect((await registry.get(null, 'invoice')).latestVersion).toBe(1);

    registry = await startWith({ 'invoice.yaml': invoice(0.5, 'production, staging') });
    const current = await registry.get(null, 'invoice');
    expect(current).toMatchObject({ labels: { production: 2, staging: 2 }, latestVersion: 2, version: { modelConfig: { temperature: 0.5 } } });
    const history = await registry.labelHistory(null, 'invoice', 'production', 10);
    expect(history.map((event) => [event.fromVersion, event.toVersion, event.actor, event.reason])).toEqual([
      [1, 2, 'config', 'temperature 0.5'], [null, 1, 'config', 'temperature 0.2'],
    ]);
  });

  it('reports every broken prompt with its file and field, before anything starts', () => {
    writeFileSync(join(directory, 'broken.yaml'), 'template: 42\nlabels: [latest]\n');
    expect(() => createPromptRegistry({
      store: database.prompts, feed: new DisabledPromptChangeFeed(), cacheTtlMs: 1, definitions: [{ template: 'x' }], directory, logger: quiet,
    })).toThrow(/prompts\[0\]\.name[\s\S]*broken\.yaml\.template[\s\S]*broken\.yaml\.labels\[0\]/);
  });
});
