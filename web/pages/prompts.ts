import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { formatMs, formatPercent, formatTime, formatUsd } from '../format.js';
import { html } from '../html.js';
import { navigate } from '../router.js';
import type { PromptDiff, PromptRender, PromptStats, PromptSummary, PromptVersion } from '../types.js';
import { messageOf, useLoad } from '../use-load.js';

/** The prompt registry: prompts and their labels; one prompt's versions, a diff of two, a render preview and per-version stats. */
export function PromptsPage({ params }: { params: URLSearchParams }) {
  const list = useLoad<{ data: PromptSummary[] }>('/admin/api/prompts?limit=100', 'Loading prompts failed.');
  const name = params.get('name');
  const tenant = params.get('tenant') ?? undefined;
  return html`
    <h1>Prompts</h1>
    ${list.error === null ? null : html`<p class="error" role="alert">${list.error}</p>`}
    ${list.data === null && list.error === null ? html`<p aria-busy="true">Loading…</p>` : null}
    ${list.data === null ? null : list.data.data.length === 0 ? html`<p class="empty">No prompts yet (sluice prompts push, or POST /admin/api/prompts).</p>` : html`
      <div class="table-wrap"><table class="prompts"><thead><tr><th scope="col">Name</th><th scope="col">Tenant</th><th scope="col">Type</th><th scope="col">Labels</th><th scope="col">Latest</th><th scope="col">Updated</th></tr></thead>
        <tbody>${list.data.data.map((prompt) => html`<tr data-prompt=${prompt.name}>
          <th scope="row"><a href=${`#/prompts${query({ name: prompt.name, tenant: prompt.tenant })}`} aria-current=${prompt.name === name ? 'true' : undefined}>${prompt.name}</a></th>
          <td>${prompt.tenant ?? 'global'}</td><td>${prompt.type}</td>
          <td>${Object.entries(prompt.labels).map(([label, version]) => html`<span class="badge">${label} → v${version}</span> `)}</td>
          <td>v${prompt.latest_version}</td><td>${formatTime(prompt.updated_at)}</td></tr>`)}</tbody></table></div>`}
    ${name === null ? null : html`<${PromptDetail} key=${`${tenant ?? ''}/${name}`} name=${name} tenant=${tenant} />`}
  `;
}

function PromptDetail({ name, tenant }: { name: string; tenant: string | undefined }) {
  const base = `/admin/api/prompts/${encodeURIComponent(name)}`;
  const versions = useLoad<{ data: PromptVersion[] }>(`${base}/versions${query({ tenant, limit: 50 })}`, 'Loading versions failed.');
  const stats = useLoad<PromptStats>(`${base}/stats${query({ tenant, since: '7d', by: 'version' })}`, 'Loading prompt statistics failed.');
  const newest = versions.data?.data[0]?.version ?? null;
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  const left = from ?? (newest !== null && newest > 1 ? newest - 1 : null);
  const right = to ?? newest;
  const diff = useLoad<PromptDiff>(left !== null && right !== null && left !== right ? `${base}/versions/${left}/diff/${right}${query({ tenant })}` : null, 'Loading the diff failed.');
  const [rendered, setRendered] = useState<PromptRender | null>(null);
  const [renderError, setRenderError] = useState<string | null>(null);

  const render = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget instanceof HTMLFormElement ? event.currentTarget : undefined);
    let variables: unknown;
    try {
      variables = JSON.parse(String(form.get('variables') ?? '{}') || '{}');
    } catch {
      setRenderError('Variables must be a JSON object.');
      return;
    }
    const version = Number(form.get('version'));
    await api<PromptRender>(`${base}/render${query({ tenant })}`, { method: 'POST', body: { version, variables } })
      .then((result) => { setRendered(result); setRenderError(null); }, (caught: unknown) => setRenderError(messageOf(caught, 'Rendering failed.')));
  };

  const options = (versions.data?.data ?? []).map((version) => version.version);
  const select = (label: string, value: number | null, set: (value: number) => void) => html`
    <label>${label} <select value=${value ?? ''} onChange=${(event: Event) => { if (event.currentTarget instanceof HTMLSelectElement) set(Number(event.currentTarget.value)); }}>
      ${options.map((version) => html`<option value=${version}>v${version}</option>`)}</select></label>`;

  return html`
    <section aria-labelledby="prompt-detail" class="card">
      <div class="section-head"><h2 id="prompt-detail">${name}${tenant === undefined ? '' : ` (${tenant})`}</h2>
        <button type="button" onClick=${() => navigate('prompts')}>Close</button></div>
      ${[versions.error, stats.error, diff.error].filter((text) => text !== null).map((text) => html`<p class="error" role="alert">${text}</p>`)}
      <h3>Versions</h3>
      ${versions.data === null ? html`<p aria-busy="true">Loading…</p>` : html`
        <div class="table-wrap"><table class="prompt-versions"><thead><tr><th scope="col">Version</th><th scope="col">Message</th><th scope="col">By</th><th scope="col">At</th></tr></thead>
          <tbody>${versions.data.data.map((version) => html`<tr><th scope="row">v${version.version}</th><td>${version.commit_message ?? '–'}</td><td>${version.created_by}</td><td>${formatTime(version.created_at)}</td></tr>`)}</tbody></table></div>`}
      <h3>Diff</h3>
      ${options.length < 2 ? html`<p class="empty">One version only: nothing to compare.</p>` : html`
        <div class="grid-form">${select('From', left, setFrom)}${select('To', right, setTo)}</div>
        ${diff.data === null ? null : html`
          <pre class="diff" aria-label=${`Template diff from v${diff.data.from} to v${diff.data.to}`}>${diff.data.template.map((line) => html`<span class=${line.startsWith('+ ') ? 'added' : line.startsWith('- ') ? 'removed' : ''}>${line}\n</span>`)}</pre>
          ${diff.data.changes.length === 0 ? null : html`<ul>${diff.data.changes.map((change) => html`<li><code>${change.field}</code>: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}</li>`)}</ul>`}`}`}
      <h3>Render preview</h3>
      <form class="grid-form" onSubmit=${render} aria-label="Render preview">
        <label>Version <select name="version">${options.map((version) => html`<option value=${version}>v${version}</option>`)}</select></label>
        <label>Variables (JSON) <textarea name="variables" rows="3">{}</textarea></label>
        <div class="actions"><button type="submit">Render</button></div>
      </form>
      ${renderError === null ? null : html`<p class="error" role="alert">${renderError}</p>`}
      ${rendered === null ? null : html`<div class="rendered" role="status">
        ${rendered.missing.length === 0 ? null : html`<p class="error">Missing variables: ${rendered.missing.join(', ')}</p>`}
        ${rendered.messages.map((message) => html`<p><strong>${message.role}:</strong></p><pre>${message.content}</pre>`)}</div>`}
      <h3>Usage by version (7 days)</h3>
      ${stats.data === null ? null : stats.data.data.length === 0 ? html`<p class="empty">No requests used this prompt in the window.</p>` : html`
        <div class="table-wrap"><table class="prompt-stats"><thead><tr><th scope="col">Version</th><th scope="col">Requests</th><th scope="col">Success</th><th scope="col">p50</th><th scope="col">p95</th><th scope="col">Mean cost</th><th scope="col">Total cost</th></tr></thead>
          <tbody>${stats.data.data.map((row) => html`<tr data-group=${row.group}><th scope="row">${row.group}</th><td data-field="requests">${row.requests}</td>
            <td>${row.success_rate === null ? '–' : formatPercent(row.success_rate)}</td><td>${formatMs(row.latency_ms.p50)}</td><td>${formatMs(row.latency_ms.p95)}</td>
            <td>${row.mean_cost_usd === null ? '–' : formatUsd(row.mean_cost_usd)}</td><td>${formatUsd(row.total_cost_usd)}</td></tr>`)}</tbody></table></div>`}
    </section>
  `;
}
