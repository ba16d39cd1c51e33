import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, query } from '../api.js';
import { formatCount, formatMs, formatTime, formatUsd } from '../format.js';
import { html } from '../html.js';
import { navigate } from '../router.js';
import type { LogDetail, LogPage, LogRow, Session } from '../types.js';

const PAGE_SIZE = 25;
const LIVE_TAIL_MS = 5000;
const FILTERS = ['limit', 'since', 'model', 'provider', 'key_id', 'tenant_id', 'user', 'status', 'error_code', 'service', 'q'] as const;
type Filters = Partial<Record<(typeof FILTERS)[number], string>>;

function filtersOf(params: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value !== null && value !== '') filters[name] = value;
  }
  return filters;
}

/** The request log as a read-only audit trail: filters and search in the URL, keyset pages, one detail call per opened row. */
export function LogsPage({ session, params }: { session: Session; params: URLSearchParams }) {
  const filters = filtersOf(params);
  const filterKey = JSON.stringify(filters);
  // The cursors of the pages before this one: "Newer" pops, "Older" pushes the page's next_cursor.
  // Kept with the filters they belong to: new filters start again at the first page.
  const [paging, setPaging] = useState<{ key: string; cursors: Array<string | undefined> }>({ key: filterKey, cursors: [undefined] });
  const cursors = paging.key === filterKey ? paging.cursors : [undefined];
  const setCursors = (next: Array<string | undefined>) => setPaging({ key: filterKey, cursors: next });
  const [page, setPage] = useState<LogPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [openId, setOpenId] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    let cancelled = false;
    const load = () => api<LogPage>(`/admin/api/logs${query({ ...filters, since: filters.since ?? '24h', limit: filters.limit ?? PAGE_SIZE, cursor })}`)
      .then((result) => { if (!cancelled) { setPage(result); setError(null); } })
      .catch((caught: unknown) => { if (!cancelled) setError(caught instanceof ApiError ? caught.message : 'Loading the log failed.'); });
    setPage(null);
    void load();
    // Live tail re-reads only the first page, one request per tick: never a request per row.
    const timer = live && cursor === undefined ? setInterval(load, LIVE_TAIL_MS) : undefined;
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [filterKey, cursor, live]);

  const apply = (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (!(form instanceof HTMLFormElement)) return;
    const next: Record<string, string | undefined> = {};
    for (const [name, value] of new FormData(form)) if (typeof value === 'string' && value.trim() !== '') next[name] = value.trim();
    navigate('logs', next);
  };

  return html`
    <h1>Logs</h1>
    <form class="filters" onSubmit=${apply} aria-label="Log filters">
      <label>Time range
        <select name="since" value=${filters.since ?? '24h'}>
          ${['15m', '1h', '24h', '7d', '30d'].map((value) => html`<option value=${value}>last ${value}</option>`)}
        </select>
      </label>
      <label>Search <input name="q" type="search" value=${filters.q ?? ''} placeholder="error text, metadata, bodies" /></label>
      <label>Model <input name="model" value=${filters.model ?? ''} /></label>
      <label>Provider <input name="provider" value=${filters.provider ?? ''} /></label>
      <label>Key id <input name="key_id" value=${filters.key_id ?? ''} /></label>
      ${session.role === 'admin' ? html`<label>Tenant <input name="tenant_id" value=${filters.tenant_id ?? ''} /></label>` : null}
      <label>User <input name="user" value=${filters.user ?? ''} /></label>
      <label>Status
        <select name="status" value=${filters.status ?? ''}>
          <option value="">any</option><option value="success">success</option><option value="error">error</option>
        </select>
      </label>
      <label>Error code <input name="error_code" value=${filters.error_code ?? ''} /></label>
      <label>Service <input name="service" value=${filters.service ?? ''} /></label>
      <div class="actions">
        <button type="submit">Apply</button>
        <label class="inline"><input type="checkbox" checked=${live} onChange=${() => setLive(!live)} /> Live tail</label>
      </div>
    </form>
    ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
    ${page === null && error === null ? html`<p aria-busy="true">Loading…</p>` : null}
    ${page !== null && page.data.length === 0 ? html`<p class="empty">No requests match these filters in this time range.</p>` : null}
    ${page !== null && page.data.length > 0 ? html`
      <div class="table-wrap">
        <table class="logs">
          <caption class="visually-hidden">Requests, newest first</caption>
          <thead><tr>
            <th scope="col">Time</th><th scope="col">Request</th><th scope="col">Model → provider</th><th scope="col">Status</th>
            <th scope="col" class="num">TTFT</th><th scope="col" class="num">Latency</th><th scope="col" class="num">Tokens</th>
            <th scope="col" class="num">Cost</th><th scope="col">Cache</th><th scope="col" class="num">Attempts</th>
          </tr></thead>
          <tbody>${page.data.map((row) => html`<${LogLine} row=${row} onOpen=${() => setOpenId(row.request_id)} />`)}</tbody>
        </table>
      </div>` : null}
    <nav class="pager" aria-label="Log pages">
      <button type="button" disabled=${cursors.length <= 1} onClick=${() => setCursors(cursors.slice(0, -1))}>← Newer</button>
      <span>Page ${cursors.length}</span>
      <button type="button" disabled=${page?.next_cursor == null} onClick=${() => setCursors([...cursors, page?.next_cursor ?? undefined])}>Older →</button>
    </nav>
    ${openId === null ? null : html`<${LogDrawer} requestId=${openId} onClose=${() => setOpenId(null)} />`}
  `;
}

function LogLine({ row, onOpen }: { row: LogRow; onOpen: () => void }) {
  const failed = row.status >= 400;
  return html`
    <tr class=${failed ? 'failed' : ''}>
      <td><time datetime=${row.started_at}>${formatTime(row.started_at)}</time></td>
      <td><button type="button" class="link" onClick=${onOpen} aria-label=${`Details of ${row.request_id}`}>${row.request_id}</button></td>
      <td>${row.model ?? '–'} → ${row.provider ?? '–'}${row.provider_model === null ? '' : `/${row.provider_model}`}</td>
      <td><span class=${`badge ${failed ? 'bad' : 'good'}`}>${row.status}</span>${row.error_code === null ? null : html` <code>${row.error_code}</code>`}</td>
      <td class="num">${formatMs(row.ttft_ms)}</td>
      <td class="num">${formatMs(row.duration_ms)}</td>
      <td class="num">${formatCount(row.total_tokens)}</td>
      <td class="num">${formatUsd(row.cost_usd)}</td>
      <td>${row.cache ?? '–'}</td>
      <td class="num">${row.attempts}</td>
    </tr>
  `;
}

/** The request-log endpoint names and the paths that serve them. */
const ENDPOINT_PATHS: Record<string, string> = {
  'chat.completions': '/v1/chat/completions', embeddings: '/v1/embeddings', messages: '/v1/messages',
  'messages.count_tokens': '/v1/messages/count_tokens', responses: '/v1/responses',
};

/** A secret-free curl line for the request: the key is a variable the reader fills in. */
export function curlOf(detail: LogDetail): string {
  const body = detail.request_body ?? JSON.stringify({ model: detail.model, messages: [] });
  const quoted = `'${body.replaceAll("'", "'\\''")}'`;
  return `curl ${location.origin}${ENDPOINT_PATHS[detail.endpoint] ?? `/${detail.endpoint}`} -H "Authorization: Bearer $SLUICE_API_KEY" -H "Content-Type: application/json" -d ${quoted}`;
}

function LogDrawer({ requestId, onClose }: { requestId: string; onClose: () => void }) {
  const [detail, setDetail] = useState<LogDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    api<LogDetail>(`/admin/api/logs/${encodeURIComponent(requestId)}`).then(setDetail, (caught: unknown) => {
      setError(caught instanceof ApiError ? caught.message : 'Loading the request failed.');
    });
    const onKey = (event: KeyboardEvent) => { if (event.key === 'Escape') onClose(); };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [requestId]);
  useEffect(() => heading.current?.focus(), [detail]);

  const copy = async () => {
    if (detail === null) return;
    await navigator.clipboard.writeText(curlOf(detail)).then(() => setCopied(true), () => setCopied(false));
  };
  const total = detail?.duration_ms ?? 0;
  const share = (value: number | null) => `${total > 0 && value !== null ? Math.min(100, (value / total) * 100) : 0}%`;

  return html`
    <div class="scrim" onClick=${onClose}></div>
    <aside class="drawer" role="dialog" aria-modal="true" aria-labelledby="drawer-title">
      <header>
        <h2 id="drawer-title" tabindex="-1" ref=${heading}>Request ${requestId}</h2>
        <button type="button" onClick=${onClose} aria-label="Close details">✕</button>
      </header>
      ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
      ${detail === null && error === null ? html`<p aria-busy="true">Loading…</p>` : null}
      ${detail === null ? null : html`
        <section aria-labelledby="attempts-title">
          <h3 id="attempts-title">Attempts</h3>
          <table class="attempts">
            <thead><tr><th scope="col">#</th><th scope="col">Provider / model</th><th scope="col">Status</th><th scope="col">Error</th><th scope="col" class="num">Duration</th></tr></thead>
            <tbody>${detail.attempt_log.map((attempt, index) => html`
              <tr class=${attempt.status !== null && attempt.status < 400 ? '' : 'failed'}>
                <td>${index + 1}</td><td>${attempt.provider}/${attempt.model}</td><td>${attempt.status ?? '–'}</td>
                <td>${attempt.error_code === null ? '–' : html`<code>${attempt.error_code}</code> ${attempt.error_message ?? ''}`}</td>
                <td class="num">${formatMs(attempt.duration_ms)}</td>
              </tr>`)}</tbody>
          </table>
        </section>
        <section aria-labelledby="latency-title">
          <h3 id="latency-title">Latency</h3>
          <div class="waterfall" aria-hidden="true">
            <span class="overhead" style=${{ width: share(detail.overhead_ms) }}></span>
            <span class="ttft" style=${{ width: share(detail.ttft_ms === null ? null : Math.max(0, detail.ttft_ms - detail.overhead_ms)) }}></span>
          </div>
          <dl class="pairs">
            <dt>Gateway overhead</dt><dd>${formatMs(detail.overhead_ms)}</dd>
            <dt>First token</dt><dd>${formatMs(detail.ttft_ms)}</dd>
            <dt>Total</dt><dd>${formatMs(detail.duration_ms)}</dd>
          </dl>
        </section>
        <section aria-labelledby="usage-title">
          <h3 id="usage-title">Usage and cost</h3>
          <dl class="pairs">
            <dt>Prompt tokens</dt><dd>${formatCount(detail.prompt_tokens)}</dd>
            <dt>Completion tokens</dt><dd>${formatCount(detail.completion_tokens)}</dd>
            <dt>Cached tokens</dt><dd>${formatCount(detail.cached_tokens)}</dd>
            <dt>Reasoning tokens</dt><dd>${formatCount(detail.reasoning_tokens)}</dd>
            <dt>Cost</dt><dd>${formatUsd(detail.cost_usd)}${detail.usage_estimated ? ' (estimated)' : ''}</dd>
          </dl>
        </section>
        <section aria-labelledby="meta-title">
          <h3 id="meta-title">Request</h3>
          <dl class="pairs">
            <dt>Endpoint</dt><dd><code>${detail.endpoint}</code></dd>
            <dt>Key</dt><dd>${detail.key_id ?? 'master'}</dd>
            <dt>Tenant</dt><dd>${detail.tenant_id ?? '–'}</dd>
            <dt>User</dt><dd>${detail.user ?? '–'}</dd>
            <dt>Service</dt><dd>${detail.service ?? '–'}</dd>
            ${Object.entries(detail.metadata ?? {}).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}
          </dl>
          <button type="button" onClick=${copy}>Copy as curl</button>
          ${copied ? html`<span role="status"> Copied (without the key).</span>` : null}
        </section>
        ${detail.request_body === null && detail.response_body === null ? html`<p class="empty">Bodies are not stored (logging.log_bodies is off).</p>` : html`
          <section aria-labelledby="bodies-title">
            <h3 id="bodies-title">Bodies</h3>
            <h4>Request</h4><pre>${detail.request_body ?? '–'}</pre>
            <h4>Response</h4><pre>${detail.response_body ?? '–'}</pre>
          </section>`}
      `}
    </aside>
  `;
}
