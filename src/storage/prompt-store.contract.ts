import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logRowToValues } from './index.js';
import type { Database, NewPromptVersion, PromptRecord, RequestLogRow } from './index.js';

export interface PromptStoreFixture {
  database: Database;
  /** Tries to change a stored version behind the store's back, with plain SQL. */
  rewriteVersion: (promptId: string, version: number) => Promise<unknown>;
  cleanup: () => Promise<void>;
}

/** The behaviour every PromptStore must show; run on SQLite and a real Postgres. */
export function describePromptStoreContract(name: string, open: () => Promise<PromptStoreFixture>): void {
  describe(`PromptStore contract: ${name}`, () => {
    let fixture: PromptStoreFixture;
    const store = () => fixture.database.prompts;
    beforeAll(async () => {
      fixture = await open();
      await fixture.database.migrate();
    });
    afterAll(async () => {
      await fixture.cleanup();
    });

    const prompt = (id: string, promptName: string, tenantId: string | null, overrides: Partial<PromptRecord> = {}): PromptRecord => ({
      id, tenantId, name: promptName, type: 'chat', description: `the ${promptName} prompt`, tags: ['billing'], source: 'api',
      createdAt: 1_700_000_000_000, updatedAt: 1_700_000_000_000, ...overrides,
    });
    const draft = (content: string, overrides: Partial<NewPromptVersion> = {}): NewPromptVersion => ({
      template: [{ role: 'system', content }, { role: 'user', content: '{{text}}' }],
      variables: { type: 'object', required: ['text'] },
      modelConfig: { model: 'smart', temperature: 0.2 },
      outputSchema: null,
      commitMessage: `write ${content}`,
      contentHash: `hash-${content}`,
      createdBy: 'alice',
      createdAt: 1_700_000_000_000,
      ...overrides,
    });

    it('creates a prompt with its first version and labels, every field intact', async () => {
      const first = await store().createPrompt(prompt('p_invoice', 'invoice', null), draft('v1'), ['staging']);
      expect(first).toMatchObject({ promptId: 'p_invoice', version: 1, commitMessage: 'write v1' });
      expect(await store().getPrompt(null, 'invoice')).toEqual(prompt('p_invoice', 'invoice', null));
      expect(await store().getVersion('p_invoice', 1)).toEqual(first);
      expect(await store().labels('p_invoice')).toEqual([{ label: 'staging', version: 1, updatedBy: 'alice', updatedAt: 1_700_000_000_000 }]);
      expect(await store().getPrompt('acme', 'invoice')).toBeNull();
    });

    it('keeps names unique per tenant: the same name in another tenant is another prompt', async () => {
      await expect(store().createPrompt(prompt('p_dup', 'invoice', null), draft('dup'), [])).rejects.toMatchObject({ status: 409 });
      await store().createPrompt(prompt('p_acme_invoice', 'invoice', 'acme', { type: 'text', tags: [] }), draft('acme'), []);
      expect((await store().getPrompt('acme', 'invoice'))?.id).toBe('p_acme_invoice');
      expect((await store().getPrompt(null, 'invoice'))?.id).toBe('p_invoice');
    });

    it('refuses to change a written version', async () => {
      await expect(fixture.rewriteVersion('p_invoice', 1)).rejects.toThrow(/immutable/);
      expect((await store().getVersion('p_invoice', 1))?.template).toEqual(draft('v1').template);
    });

    it('numbers new versions in order and finds them by number, hash and recency', async () => {
      const second = await store().addVersion('p_invoice', draft('v2', { createdAt: 1_700_000_001_000 }), []);
      const third = await store().addVersion('p_invoice', draft('v3', { createdAt: 1_700_000_002_000 }), ['production']);
      expect([second.version, third.version]).toEqual([2, 3]);
      expect(await store().latestVersion('p_invoice')).toEqual(third);
      expect((await store().findVersionByHash('p_invoice', 'hash-v2'))?.version).toBe(2);
      expect(await store().findVersionByHash('p_invoice', 'hash-none')).toBeNull();
      expect((await store().listVersions('p_invoice', { limit: 2 })).map((version) => version.version)).toEqual([3, 2]);
      expect((await store().listVersions('p_invoice', { limit: 5, before: 2 })).map((version) => version.version)).toEqual([1]);
      expect(await store().getVersion('p_invoice', 9)).toBeNull();
      await expect(store().addVersion('p_missing', draft('x'), [])).rejects.toMatchObject({ code: 'not_found' });
    });

    it('gives concurrent writers distinct, increasing versions', async () => {
      await store().createPrompt(prompt('p_race', 'race', null), draft('r0'), []);
      const written = await Promise.all(Array.from({ length: 8 }, (_, index) => store().addVersion('p_race', draft(`r${index + 1}`), [])));
      expect(written.map((version) => version.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      expect((await store().latestVersion('p_race'))?.version).toBe(9);
    });

    it('records every label move with who, from, to and why; a move to the same version records nothing', async () => {
      const moved = await store().moveLabel('p_invoice', { label: 'production', version: 2, actor: 'bob', reason: 'v3 regressed', at: 1_700_000_003_000 });
      expect(moved).toEqual({ label: 'production', fromVersion: 3, toVersion: 2, actor: 'bob', reason: 'v3 regressed', at: 1_700_000_003_000 });
      expect(await store().moveLabel('p_invoice', { label: 'production', version: 2, actor: 'bob', reason: null, at: 1_700_000_004_000 })).toBeNull();
      await expect(store().moveLabel('p_invoice', { label: 'production', version: 42, actor: 'bob', reason: null, at: 1 }))
        .rejects.toMatchObject({ code: 'not_found' });
      expect(await store().labels('p_invoice')).toEqual([
        { label: 'production', version: 2, updatedBy: 'bob', updatedAt: 1_700_000_003_000 },
        { label: 'staging', version: 1, updatedBy: 'alice', updatedAt: 1_700_000_000_000 },
      ]);
      const history = await store().labelHistory('p_invoice', 'production', 10);
      expect(history.map((event) => [event.fromVersion, event.toVersion, event.actor])).toEqual([[3, 2, 'bob'], [null, 3, 'alice']]);
      expect((await store().labelHistory('p_invoice', undefined, 10)).map((event) => event.label)).toEqual(['production', 'production', 'staging']);
    });

    it('lists by tenant, text and tag, in pages', async () => {
      await store().describePrompt('p_race', { description: 'A racing prompt', tags: ['speed'], updatedAt: 1_700_000_005_000 });
      const all = await store().listPrompts({ limit: 10 });
      expect(all.records.map((record) => `${record.tenantId ?? '*'}/${record.name}`)).toEqual(['*/invoice', '*/race', 'acme/invoice']);
      const first = await store().listPrompts({ limit: 1, tenantId: null });
      expect(first.records.map((record) => record.name)).toEqual(['invoice']);
      const second = await store().listPrompts({ limit: 1, tenantId: null, cursor: first.nextCursor ?? undefined });
      expect(second.records.map((record) => record.name)).toEqual(['race']);
      expect(second.nextCursor).toBeNull();
      expect((await store().listPrompts({ limit: 10, tenantId: 'acme' })).records.map((record) => record.id)).toEqual(['p_acme_invoice']);
      expect((await store().listPrompts({ limit: 10, query: 'RACING' })).records.map((record) => record.id)).toEqual(['p_race']);
      expect((await store().listPrompts({ limit: 10, tag: 'speed' })).records.map((record) => record.id)).toEqual(['p_race']);
      expect((await store().listPrompts({ limit: 10, query: '%' })).records).toEqual([]);
    });

    it('computes per-version and per-label figures from the request log', async () => {
      const base = Date.UTC(2026, 2, 1, 10, 0, 0);
      const rows: RequestLogRow[] = [
        // version 1: durations 100 200 300 400; one failure; one cache hit; two streams (ttft 50, 150)
        // JSON: three checked (one repaired, one re-asked), one plain chat row without JSON columns
        logRow(base, 'invoice', '1', 'production', { durationMs: 100, ttft: 50, prompt: 10, completion: 5, cost: 0.001, cache: 'hit', fixes: ['strip_fence'], reasks: 0, valid: true }),
        logRow(base + 1000, 'invoice', '1', 'production', { durationMs: 200, ttft: 150, prompt: 20, completion: 5, cost: 0.002, fixes: [], reasks: 1, valid: true }),
        logRow(base + 2000, 'invoice', '1', null, { durationMs: 300, prompt: 30, completion: 5, cost: 0.003, fixes: [], reasks: 0, valid: false }),
        logRow(base + 3000, 'invoice', '1', 'production', { durationMs: 400, prompt: 40, completion: 0, cost: 0, status: 500 }),
        // version 2, asked for by label
        logRow(base + 4000, 'invoice', '2', 'production', { durationMs: 1000, prompt: 8, completion: 2, cost: 0.01 }),
        // another prompt, and a row outside the window: neither counts
        logRow(base + 5000, 'other', '1', null, { durationMs: 5, prompt: 1, completion: 1, cost: 1 }),
        logRow(base - 60_000, 'invoice', '1', null, { durationMs: 5, prompt: 1, completion: 1, cost: 1 }),
      ];
      await fixture.database.requestLog.insert(rows.map(logRowToValues));
      const window = { since: base, until: base + 60_000 };
      const byVersion = await store().usageStats({ name: 'invoice', ...window, by: 'version' });
      expect(byVersion.map((group) => group.group)).toEqual(['2', '1']);
      const one = byVersion[1];
      expect(one).toMatchObject({
        group: '1', requests: 4, successRate: 0.75, meanPromptTokens: 25, meanCompletionTokens: 3.75,
        meanCostUsd: 0.0015, totalCostUsd: 0.006, cacheHitRate: 0.25, firstUsedAt: base, lastUsedAt: base + 3000,
      });
      // Over the three rows that recorded JSON outcomes: one repaired of three, one re-asked of three.
      expect(one?.jsonRepairRate).toBeCloseTo(1 / 3, 9);
      expect(one?.reaskRate).toBeCloseTo(1 / 3, 9);
      // percentile_cont over 100 200 300 400: p50 at position 1.5 → 250; p95 at 2.85 → 300 + 0.85 × 100
      expect(one?.latencyMs.p50).toBeCloseTo(250, 6);
      expect(one?.latencyMs.p95).toBeCloseTo(385, 6);
      expect(one?.latencyMs.mean).toBeCloseTo(250, 6);
      // time to first token over 50 and 150 only
      expect(one?.timeToFirstTokenMs.p50).toBeCloseTo(100, 6);
      expect(one?.timeToFirstTokenMs.p95).toBeCloseTo(145, 6);
      expect(byVersion[0]).toMatchObject({ group: '2', requests: 1, successRate: 1, totalCostUsd: 0.01, cacheHitRate: 0, jsonRepairRate: null, reaskRate: null });

      const byLabel = await store().usageStats({ name: 'invoice', ...window, by: 'label' });
      const production = byLabel.find((group) => group.group === 'production');
      expect(production).toMatchObject({ requests: 4, successRate: 0.75, totalCostUsd: 0.013 });
      expect(byLabel.find((group) => group.group === null)).toMatchObject({ requests: 1, totalCostUsd: 0.003 });
      expect(await store().usageStats({ name: 'invoice', ...window, by: 'version', tenantId: 'acme' })).toEqual([]);
    });
  });
}

function logRow(
  startedAt: number, promptName: string, promptVersion: string, promptLabel: string | null,
  figures: {
    durationMs: number; ttft?: number; prompt: number; completion: number; cost: number; status?: number; cache?: 'hit';
    fixes?: string[]; reasks?: number; valid?: boolean;
  },
): RequestLogRow {
  return {
    jsonFixes: figures.fixes ?? null, reaskCount: figures.reasks ?? null, outputValid: figures.valid ?? null,
    rowKey: `row-${promptName}-${startedAt}`, requestId: `req-${startedAt}`, startedAt, endedAt: startedAt + figures.durationMs,
    durationMs: figures.durationMs, timeToFirstTokenMs: figures.ttft ?? null, overheadMs: 1, endpoint: 'chat.completions',
    keyId: null, tenantId: null, endUser: null, requestedModel: 'smart', provider: 'openai', providerModel: 'gpt-4o',
    attemptCount: 1, cacheStatus: figures.cache ?? 'miss', stream: figures.ttft !== undefined, statusCode: figures.status ?? 200,
    errorCode: null, errorMessage: null, promptTokens: figures.prompt, completionTokens: figures.completion,
    totalTokens: figures.prompt + figures.completion, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0,
    usageEstimated: false, costUsd: figures.cost, serviceName: null, promptVersion, promptName, promptLabel,
    experimentVariant: null, costSavedUsd: null, cacheOriginRequestId: null, metadata: null, requestBody: null, responseBody: null, attempts: [],
  };
}
