import { asRecord, callAdminApi, printTable } from './admin-api-call.js';
import type { AdminConnectionOptions } from './admin-api-call.js';

/** `sluice experiments list`: every experiment with its target, status and phase. */
export async function runExperimentsList(options: AdminConnectionOptions): Promise<void> {
  const page = asRecord(await callAdminApi(options, 'GET', '/admin/api/experiments'));
  const experiments = Array.isArray(page.data) ? page.data : [];
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ data: experiments })}\n`);
    return;
  }
  printTable(['name', 'target', 'status', 'phase', 'unit', 'variants', 'winner'], experiments.map((entry) => {
    const experiment = asRecord(entry);
    const target = Object.entries(asRecord(experiment.target)).map(([kind, name]) => `${kind}:${String(name)}`).join('');
    const variants = (Array.isArray(experiment.variants) ? experiment.variants : [])
      .map((variant) => `${String(asRecord(variant).name)}=${String(asRecord(variant).weight)}`).join(' ');
    return [experiment.name, target, experiment.status, experiment.phase, experiment.unit, variants, experiment.winner ?? '-'].map(String);
  }));
}

/** `sluice experiments results NAME [--phase N]`: the per-variant table, the comparisons and the verdict. */
export async function runExperimentsResults(name: string, options: AdminConnectionOptions & { phase?: string }): Promise<void> {
  const query = options.phase === undefined ? '' : `?phase=${encodeURIComponent(options.phase)}`;
  const results = asRecord(await callAdminApi(options, 'GET', `/admin/api/experiments/${encodeURIComponent(name)}/results${query}`));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
    return;
  }
  const percent = (value: unknown): string => (typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : '-');
  const number = (value: unknown, digits = 0): string => (typeof value === 'number' ? value.toFixed(digits) : '-');
  process.stdout.write(`${String(results.name)} phase ${String(results.phase)} (${String(results.status)}), primary metric ${String(results.primary_metric)}\n\n`);
  const variants = Array.isArray(results.variants) ? results.variants.map(asRecord) : [];
  printTable(['variant', 'n', 'success', 'ci', 'p50 ms', 'p95 ms', 'out tokens', 'cost/req'], variants.map((variant) => [
    String(variant.name), String(variant.n), percent(variant.success_rate), `[${percent(variant.ci_low)}, ${percent(variant.ci_high)}]`,
    number(variant.latency_p50_ms), number(variant.latency_p95_ms), number(variant.mean_output_tokens, 1), number(variant.mean_cost_usd, 6),
  ]));
  const comparisons = Array.isArray(results.comparisons) ? results.comparisons.map(asRecord) : [];
  if (comparisons.length > 0) {
    process.stdout.write('\n');
    printTable(['vs control', 'difference', 'lift', 'p (Holm)', 'P(beats control)'], comparisons.map((comparison) => [
      String(comparison.variant), number(comparison.difference, 4), percent(comparison.lift), number(comparison.p_value_adjusted, 4),
      number(comparison.prob_beat_control, 3),
    ]));
  }
  process.stdout.write(`\nsample ratio: p = ${number(results.srm_p_value, 4)}${results.srm_alarm === true ? '  MISMATCH' : ''}\n${String(results.verdict)}\n`);
}

/** `sluice experiments start NAME`. */
export async function runExperimentsStart(name: string, options: AdminConnectionOptions): Promise<void> {
  const experiment = asRecord(await callAdminApi(options, 'POST', `/admin/api/experiments/${encodeURIComponent(name)}/start`));
  if (options.json === true) process.stdout.write(`${JSON.stringify(experiment)}\n`);
  else process.stdout.write(`${name} is ${String(experiment.status)} (phase ${String(experiment.phase)})\n`);
}

/** `sluice experiments stop NAME [--winner V] [--promote]`. */
export async function runExperimentsStop(name: string, options: AdminConnectionOptions & { winner?: string; promote?: boolean }): Promise<void> {
  const body: Record<string, unknown> = { promote: options.promote === true };
  if (options.winner !== undefined) body.winner = options.winner;
  const experiment = asRecord(await callAdminApi(options, 'POST', `/admin/api/experiments/${encodeURIComponent(name)}/stop`, body));
  if (options.json === true) process.stdout.write(`${JSON.stringify(experiment)}\n`);
  else process.stdout.write(`${name} is ${String(experiment.status)}${experiment.winner === null ? '' : `, winner ${String(experiment.winner)}`}\n`);
}
