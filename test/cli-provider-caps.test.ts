import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toRequestLogValues } from '../src/observability/index.js';
import { openDatabase } from '../src/storage/index.js';
import { runCliInProcess } from './support/run-cli-in-process.js';

describe('sluice stats --by provider with provider caps', () => {
  let directory: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-cli-caps-'));
    writeFileSync(join(directory, 'sluice.yaml'), [
      'storage:', '  database_url: sqlite://./data/sluice.db',
      'providers:',
      '  - { name: capped, type: mock, limits: { tokens_per_day: 100, usd_per_month: 10 } }',
      '  - { name: free, type: mock }',
      '',
    ].join('\n'));
    expect((await runCliInProcess(['migrate'], { cwd: directory })).code).toBe(0);
    const database = await openDatabase('sqlite://./data/sluice.db', { cwd: directory });
    const now = Date.now();
    await database.requestLog.insert(['capped', 'capped', 'free'].map((provider, index) => toRequestLogValues({
      requestId: `caps-${index}`, startedAt: now - 1000 + index, endedAt: now - 990 + index, durationMs: 10,
      timeToFirstTokenMs: null, endpoint: 'chat.completions', keyId: null, tenantId: null, endUser: null,
      requestedModel: 'm', provider, providerModel: 'x', attempts: [], stream: false, status: 200, errorCode: null, errorMessage: null,
      usage: { promptTokens: 20, completionTokens: 10, totalTokens: 30, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      metadata: null, overheadMs: 1, costUsd: 1.5, usageEstimated: false,
    })));
    await database.close();
  });
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('shows each capped provider\'s spend against its day and month caps, with the next reset', async () => {
    const json = await runCliInProcess(['stats', '--by', 'provider', '--json'], { cwd: directory });
    expect(json.code).toBe(0);
    const parsed = z.object({ caps: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse(json.stdout));
    const now = new Date();
    expect(parsed.caps).toEqual([
      { provider: 'capped', cap: 'tokens_per_day', limit: 100, used: 60, fraction: 0.6, resets_at: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString() },
      { provider: 'capped', cap: 'usd_per_month', limit: 10, used: 3, fraction: 0.3, resets_at: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString() },
    ]);
    const table = await runCliInProcess(['stats', '--by', 'provider'], { cwd: directory });
    expect(table.stdout).toMatch(/^capped\s+tokens_per_day\s+60\s+100\s+60\.0%\s+\S+Z$/m);
    expect(table.stdout).toMatch(/^capped\s+usd_per_month\s+3\.00\s+10\.00\s+30\.0%\s+\S+Z$/m);
  });
});
