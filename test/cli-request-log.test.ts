import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toRequestLogValues } from '../src/observability/index.js';
import { createMigrations } from '../src/storage/sql/migrations.js';
import { openDatabase } from '../src/storage/index.js';
import { runCliInProcess } from './support/run-cli-in-process.js';

function runCli(args: string[], cwd: string): ReturnType<typeof runCliInProcess> {
  return runCliInProcess(args, { cwd });
}

describe('sluice migrate, stats and logs', () => {
  let directory: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-cli-log-'));
    writeFileSync(join(directory, 'sluice.yaml'), 'storage:\n  database_url: sqlite://./data/sluice.db\n');
  });
  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('migrates, then reports hand-computable figures', async () => {
    const migrated = await runCli(['migrate', '--json'], directory);
    expect(migrated.code).toBe(0);
    expect(JSON.parse(migrated.stdout)).toEqual({ database: 'sqlite', applied: Object.keys(createMigrations('sqlite')).sort() });
    expect((await runCli(['migrate'], directory)).stdout).toBe('sqlite: up to date\n');

    const database = await openDatabase('sqlite://./data/sluice.db', { cwd: directory });
    const now = Date.now();
    await database.requestLog.insert([10, 20, 30, 40].map((durationMs, index) => toRequestLogValues({
      requestId: `cli-${index}`, startedAt: now - 60_000 + index, endedAt: now - 60_000 + index + durationMs, durationMs,
      timeToFirstTokenMs: null, endpoint: 'chat.completions', keyId: null, tenantId: null, endUser: index < 3 ? 'ann' : 'bo',
      requestedModel: index === 3 ? 'other' : 'main', provider: 'p', providerModel: 'm', attempts: [], stream: false,
      status: index === 2 ? 502 : 200, errorCode: index === 2 ? 'provider_error' : null, errorMessage: index === 2 ? 'upstream fell over' : null,
      usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      metadata: null, overheadMs: 1, costUsd: 0.25, usageEstimated: false,
      ...(index < 2 ? { serviceName: 'extract_invoice', jsonFixes: ['strip_fence'], reaskCount: index, outputValid: true } : {}),
    })));
    await database.close();

    // Per service: success rate, latency percentiles, and the JSON figures (both rows repaired, one of two re-asked).
    const byService = await runCli(['stats', '--by', 'service', '--json'], directory);
    expect(byService.code).toBe(0);
    const services = z.object({ data: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse(byService.stdout)).data;
    expect(services).toEqual(expect.arrayContaining([
      expect.objectContaining({
        group: 'extract_invoice', requests: 2, errors: 0, success_rate: 1, latency_ms: { p50: 15, p95: 19.5, p99: 19.9 },
        json_repair_rate: 1, output_valid_rate: 1, reask_rate: 0.5,
      }),
      expect.objectContaining({ group: null, requests: 2, errors: 1, success_rate: 0.5, json_repair_rate: null, reask_rate: null }),
    ]));
    const serviceTable = await runCli(['stats', '--by', 'service'], directory);
    const header = serviceTable.stdout.split('\n')[0] ?? '';
    expect(header).toMatch(/service\s+requests\s+errors\s+success\s+valid\s+repaired\s+re-asked\s+p50 ms/);
    const invoiceLine = serviceTable.stdout.split('\n').find((line) => line.startsWith('extract_invoice')) ?? '';
    expect(invoiceLine.split(/\s{2,}/).slice(0, 7)).toEqual(['extract_invoice', '2', '0.0%', '100.0%', '100.0%', '100.0%', '50.0%']);

    const stats = await runCli(['stats', '--by', 'model', '--json'], directory);
    expect(stats.code).toBe(0);
    const parsed = z.object({ data: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse(stats.stdout));
    expect(parsed.data[0]).toMatchObject({
      group: 'main', requests: 3, errors: 1, latency_ms: { p50: 20, p95: 29, p99: 29.8 }, prompt_tokens: 30, cost_usd: 0.75,
    });
    const table = await runCli(['stats'], directory);
    // No request went through a cache: no hit rate to show, nothing saved.
    expect(table.stdout).toMatch(/^all\s+4\s+25\.0%\s+25\s+39\s+40\s+-\s+40\s+20\s+1\.000000\s+-\s+0\.000000$/m);

    const logs = await runCli(['logs', '--status', 'error'], directory);
    expect(logs.stdout.trim().split('\n')).toHaveLength(1);
    expect(logs.stdout).toContain('cli-2  502  chat.completions  main → p/m  30ms');
    expect(logs.stdout).toContain('provider_error: upstream fell over');
    const json = await runCli(['logs', '--json', '-q', 'fell'], directory);
    expect(json.stdout.trim().split('\n').map((line) => z.object({ request_id: z.string() }).parse(JSON.parse(line)).request_id)).toEqual(['cli-2']);
    const all = await runCli(['logs'], directory);
    expect(all.stdout.trim().split('\n').map((line) => line.split('  ')[1])).toEqual(['cli-0', 'cli-1', 'cli-2', 'cli-3']);
    expect((await runCli(['stats', '--by', 'colour'], directory)).code).toBe(1);
  });
});
