import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { formatMs, formatPercent, formatUsd } from '../format.js';
import { html } from '../html.js';
import type { Experiment, ExperimentResults } from '../types.js';
import { messageOf, useLoad } from '../use-load.js';

/** A/B experiments (master key): variants, results with intervals and the verdict, and the lifecycle buttons. */
export function ExperimentsPage({ params }: { params: URLSearchParams }) {
  const list = useLoad<{ data: Experiment[] }>('/admin/api/experiments', 'Loading experiments failed.');
  const name = params.get('name');
  const selected = list.data?.data.find((experiment) => experiment.name === name) ?? null;
  return html`
    <h1>Experiments</h1>
    ${list.error === null ? null : html`<p class="error" role="alert">${list.error}</p>`}
    ${list.data === null && list.error === null ? html`<p aria-busy="true">Loading…</p>` : null}
    ${list.data === null ? null : list.data.data.length === 0 ? html`<p class="empty">No experiments (POST /admin/api/experiments, or experiments: in the config).</p>` : html`
      <div class="table-wrap"><table class="experiments"><thead><tr><th scope="col">Name</th><th scope="col">Target</th><th scope="col">Status</th><th scope="col">Phase</th><th scope="col">Variants</th><th scope="col">Winner</th></tr></thead>
        <tbody>${list.data.data.map((experiment) => html`<tr data-experiment=${experiment.name}>
          <th scope="row"><a href=${`#/experiments${query({ name: experiment.name })}`}>${experiment.name}</a></th>
          <td>${Object.entries(experiment.target).map(([kind, value]) => `${kind} ${value}`).join(', ')}</td>
          <td><span class="badge" data-status=${experiment.status}>${experiment.status}</span></td><td>${experiment.phase}</td>
          <td>${experiment.variants.map((variant) => `${variant.name} (${variant.weight})`).join(', ')}</td><td>${experiment.winner ?? '–'}</td></tr>`)}</tbody></table></div>`}
    ${selected === null ? null : html`<${ExperimentDetail} key=${selected.name} experiment=${selected} onChanged=${list.reload} />`}
  `;
}

function ExperimentDetail({ experiment, onChanged }: { experiment: Experiment; onChanged: () => void }) {
  const base = `/admin/api/experiments/${encodeURIComponent(experiment.name)}`;
  const results = useLoad<ExperimentResults>(`${base}/results`, 'Loading results failed.');
  const [notice, setNotice] = useState<string | null>(null);

  const act = async (action: string, body?: unknown) => {
    await api<Experiment>(`${base}/${action}`, { method: 'POST', body: body ?? {} })
      .then((updated) => { setNotice(`${updated.name} is ${updated.status}${updated.winner === null ? '' : `; winner ${updated.winner}`}.`); onChanged(); results.reload(); },
        (caught: unknown) => setNotice(messageOf(caught, 'The change failed.')));
  };
  const status = experiment.status;
  const data = results.data;
  return html`
    <section class="card" aria-labelledby="experiment-detail">
      <h2 id="experiment-detail">${experiment.name}</h2>
      ${experiment.description === '' ? null : html`<p>${experiment.description}</p>`}
      <div class="actions">
        ${status === 'draft' ? html`<button type="button" onClick=${() => act('start')}>Start</button>` : null}
        ${status === 'running' ? html`<button type="button" onClick=${() => act('pause')}>Pause</button>` : null}
        ${status === 'paused' ? html`<button type="button" onClick=${() => act('resume')}>Resume</button>` : null}
        ${status === 'running' || status === 'paused' ? html`
          <button type="button" onClick=${() => act('stop')}>Stop</button>
          <button type="button" onClick=${() => act('stop', { promote: true })} disabled=${data?.winner === null || data === null}>Stop and promote the winner</button>` : null}
      </div>
      ${notice === null ? null : html`<p role="status">${notice}</p>`}
      ${results.error === null ? null : html`<p class="error" role="alert">${results.error}</p>`}
      ${data === null ? (results.error === null ? html`<p aria-busy="true">Loading…</p>` : null) : html`
        <p class="verdict" data-testid="verdict"><strong>Verdict:</strong> ${data.verdict}</p>
        ${data.srm_alarm ? html`<p class="error">Sample ratio mismatch: the split cannot be trusted.</p>` : null}
        <div class="table-wrap"><table class="experiment-results"><caption>Phase ${data.phase}, ${data.primary_metric}, ${Math.round(data.confidence * 100)} % intervals</caption>
          <thead><tr><th scope="col">Variant</th><th scope="col">n</th><th scope="col">Successes</th><th scope="col">Success rate</th><th scope="col">Interval</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">Mean cost</th></tr></thead>
          <tbody>${data.variants.map((variant) => html`<tr data-variant=${variant.name}><th scope="row">${variant.name}</th><td data-field="n">${variant.n}</td><td data-field="successes">${variant.successes}</td>
            <td>${variant.success_rate === null ? '–' : formatPercent(variant.success_rate)}</td>
            <td>${variant.ci_low === null || variant.ci_high === null ? '–' : `${formatPercent(variant.ci_low)} – ${formatPercent(variant.ci_high)}`}</td>
            <td>${formatMs(variant.latency_p50_ms)}</td><td>${formatMs(variant.latency_p95_ms)}</td><td>${variant.mean_cost_usd === null ? '–' : formatUsd(variant.mean_cost_usd)}</td></tr>`)}</tbody></table></div>
        ${data.comparisons.length === 0 ? null : html`
          <div class="table-wrap"><table class="experiment-comparisons"><caption>Against control</caption>
            <thead><tr><th scope="col">Variant</th><th scope="col">Difference</th><th scope="col">Interval</th><th scope="col">Adjusted p</th><th scope="col">P(beats control)</th><th scope="col">Significant</th></tr></thead>
            <tbody>${data.comparisons.map((comparison) => html`<tr><th scope="row">${comparison.variant}</th><td>${comparison.difference === null ? '–' : comparison.difference.toFixed(4)}</td>
              <td>${comparison.ci_low === null || comparison.ci_high === null ? '–' : `${comparison.ci_low.toFixed(4)} – ${comparison.ci_high.toFixed(4)}`}</td>
              <td>${comparison.p_value_adjusted === null ? '–' : comparison.p_value_adjusted.toFixed(4)}</td>
              <td>${comparison.prob_beat_control === null ? '–' : comparison.prob_beat_control.toFixed(3)}</td><td>${comparison.significant ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>`}`}
    </section>
  `;
}
