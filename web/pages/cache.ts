import { useState } from 'preact/hooks';
import { api, query } from '../api.js';
import { formatCount, formatPercent, formatTime, formatUsd } from '../format.js';
import { html } from '../html.js';
import type { CacheEntry, CacheStats } from '../types.js';
import { messageOf, useLoad } from '../use-load.js';

/** Hit rates and savings per model, the stored entries (metadata only), deleting one and invalidating by namespace or model. */
export function CachePage() {
  const stats = useLoad<CacheStats>(`/admin/api/cache/stats${query({ since: '24h', group_by: 'model' })}`, 'Loading cache statistics failed.');
  const entries = useLoad<{ data: CacheEntry[]; next_cursor: string | null }>('/admin/api/cache/entries?limit=50', 'Loading cache entries failed.');
  const [notice, setNotice] = useState<string | null>(null);

  const reload = () => { stats.reload(); entries.reload(); };
  const remove = async (key: string) => {
    await api(`/admin/api/cache/entries/${encodeURIComponent(key)}`, { method: 'DELETE' })
      .then(() => { setNotice('Entry deleted.'); reload(); }, (caught: unknown) => setNotice(messageOf(caught, 'Deleting failed.')));
  };
  const invalidate = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget instanceof HTMLFormElement ? event.currentTarget : undefined);
    const prefix = String(form.get('namespace_prefix') ?? '');
    const model = String(form.get('model') ?? '');
    const body = { namespace_prefix: prefix, ...(model === '' ? {} : { model }), ...(prefix === '' && model === '' ? { all: true } : {}) };
    await api<{ generation: number }>('/admin/api/cache/invalidate', { method: 'POST', body })
      .then(() => { setNotice(prefix === '' && model === '' ? 'Every entry invalidated.' : 'Matching entries invalidated.'); reload(); },
        (caught: unknown) => setNotice(messageOf(caught, 'Invalidating failed.')));
  };

  const store = stats.data?.store;
  return html`
    <h1>Cache</h1>
    ${notice === null ? null : html`<p role="status">${notice}</p>`}
    ${[stats.error, entries.error].filter((text) => text !== null).map((text) => html`<p class="error" role="alert">${text}</p>`)}
    ${stats.data === null && stats.error === null ? html`<p aria-busy="true">Loading…</p>` : null}
    ${store === undefined ? null : html`
      <p>Store: <strong>${store.kind}</strong>${store.entries === undefined ? '' : ` · ${formatCount(store.entries)} entries · ${formatCount(store.bytes ?? 0)} bytes`}</p>`}
    ${stats.data === null ? null : html`
      <h2>Last 24 hours by model</h2>
      ${stats.data.data.length === 0 ? html`<p class="empty">No requests in the window.</p>` : html`
        <div class="table-wrap"><table id="cache-stats"><thead><tr><th scope="col">Model</th><th scope="col">Requests</th><th scope="col">Hits</th><th scope="col">Hit rate</th><th scope="col">Saved</th><th scope="col">Cost</th></tr></thead>
          <tbody>${stats.data.data.map((row) => html`<tr data-group=${row.group ?? ''}><th scope="row">${row.group ?? '–'}</th>
            <td data-field="requests">${row.requests}</td><td data-field="hits">${row.hits}</td><td>${formatPercent(row.hit_rate)}</td>
            <td>${formatUsd(row.saved_usd)}</td><td>${formatUsd(row.cost_usd)}</td></tr>`)}</tbody></table></div>`}`}
    <h2>Invalidate</h2>
    <form class="grid-form" onSubmit=${invalidate} aria-label="Invalidate cache entries">
      <label>Namespace prefix <input name="namespace_prefix" /></label>
      <label>Model <input name="model" /></label>
      <div class="actions"><button type="submit">Invalidate</button></div>
    </form>
    <h2>Entries</h2>
    ${entries.data === null ? null : entries.data.data.length === 0 ? html`<p class="empty">The cache holds no entries.</p>` : html`
      <div class="table-wrap"><table class="cache-entries"><thead><tr><th scope="col">Model</th><th scope="col">Namespace</th><th scope="col">Tenant</th><th scope="col">Kind</th>
        <th scope="col">Hits</th><th scope="col">Size</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>${entries.data.data.map((entry) => html`<tr data-key=${entry.key}><th scope="row">${entry.model}</th><td>${entry.namespace === '' ? '–' : entry.namespace}</td>
          <td>${entry.tenant_id ?? '–'}</td><td>${entry.semantic ? `${entry.kind} (semantic)` : entry.kind}</td><td data-field="hits">${entry.hit_count}</td>
          <td>${formatCount(entry.size_bytes)} B</td><td>${formatTime(entry.expires_at)}</td>
          <td><button type="button" onClick=${() => remove(entry.key)} aria-label=${`Delete the ${entry.model} entry ${entry.key.slice(0, 8)}`}>Delete</button></td></tr>`)}</tbody></table></div>`}
  `;
}
