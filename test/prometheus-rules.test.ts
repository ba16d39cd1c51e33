/** The shipped Prometheus alert rules load and behave as their unit tests say (promtool, Debian `prometheus`). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: 'docs/prometheus', encoding: 'utf8' });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('docs/prometheus/sluice-alerts.yml', () => {
  it('passes promtool check rules and promtool test rules', () => {
    const check = promtool('check', 'rules', 'sluice-alerts.yml');
    expect(check.output).toContain('SUCCESS: 6 rules found');
    expect(check.status).toBe(0);
    const tested = promtool('test', 'rules', 'sluice-alerts.test.yml');
    expect(tested.output).toContain('SUCCESS');
    expect(tested.status).toBe(0);
  });

  it('only names metrics the gateway exports', () => {
    const rules = readFileSync('docs/prometheus/sluice-alerts.yml', 'utf8');
    const dashboard = readFileSync('docs/grafana/sluice.json', 'utf8');
    const exported = readFileSync('src/observability/request-metrics.ts', 'utf8') + readFileSync('src/observability/create-observability.ts', 'utf8')
      + readFileSync('src/observability/metrics.ts', 'utf8') + readFileSync('src/observability/request-tracer.ts', 'utf8')
      + readFileSync('src/observability/alerts/create-alerts.ts', 'utf8');
    const named = new Set([...`${rules}\n${dashboard}`.matchAll(/\bsluice_[a-z_]+/g)].map((match) => match[0].replace(/_(bucket|sum|count)$/, '')));
    expect(named.size).toBeGreaterThan(5);
    for (const name of named) expect(exported, name).toContain(`'${name}'`);
  });
});
