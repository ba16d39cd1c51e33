import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, api, query } from '../api.js';
import { TimeChart } from '../chart.js';
import { formatCount, formatMs, formatPercent, formatTime, formatUsd } from '../format.js';
import { html } from '../html.js';
import { navigate } from '../router.js';
import type { ErrorCodes, Figures, Session, Summary, Timeseries } from '../types.js';

const GROUPS = ['model', 'provider', 'key', 'tenant', 'user', 'service'] as const;

interface UsageData {
  summary: Summary;
  series: Timeseries;
  errors: ErrorCodes;
}

/** Requests, errors, latency percentiles, tokens and cost over time, grouped; three admin API calls per view. */
export function UsagePage({ params }: { session: Session; params: URLSearchParams }) {
  const since = params.get('since') ?? '24h';
  const bucket = params.get('bucket') ?? (since === '7d' || since === '30d' ? 'day' : 'hour');
  const groupBy = params.get('group_by') ?? 'model';
  const [data, setData] = useState<UsageData | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    setData(null);
    Promise.all([
      api<Summary>(`/admin/api/analytics/summary${query({ since, group_by: groupBy })}`),
      api<Timeseries>(`/admin/api/analytics/timeseries${query({ since, bucket })}`),
      api<ErrorCodes>(`/admin/api/analytics/errors${query({ since, limit: 5 })}`),
    ]).then(([summary, series, errors]) => {
      if (!cancelled) setData({ summary, series, errors });
    }, (caught: unknown) => {
      if (!cancelled) setError(caught instanceof ApiError ? caught.message : 'Loading usage failed.');
    });
    return () => { cancelled = true; };
  }, [since, bucket, groupBy]);

  const change = (event: Event) => {
    const form = event.currentTarget;
    if (!(form instanceof HTMLFormElement)) return;
    const next: Record<string, string> = {};
    for (const [name, value] of new FormData(form)) if (typeof value === 'string') next[name] = value;
    navigate('usage', next);
  };

  const chart = useMemo(() => {
    const points = data?.series.data ?? [];
    return {
      from: data === null ? 0 : Date.parse(data.summary.since) / 1000,
      to: data === null ? 0 : Date.parse(data.summary.until) / 1000,
      times: points.map((point) => Date.parse(point.bucket_start) / 1000),
      traffic: [
        { label: 'Requests', values: points.map((point) => point.requests), color: '#2563eb' },
        { label: 'Errors', values: points.map((point) => point.errors), color: '#dc2626' },
      ],
      latency: [
        { label: 'p50 ms', values: points.map((point) => point.latency_ms.p50), color: '#059669' },
        { label: 'p95 ms', values: points.map((point) => point.latency_ms.p95), color: '#d97706' },
        { label: 'p99 ms', values: points.map((point) => point.latency_ms.p99), color: '#7c3aed' },
      ],
    };
  }, [data]);

  // Scoped by the admin API (a tenant admin's session sees its tenant only), never here.
  const groups = data?.summary.data ?? [];
  const maxRequests = Math.max(1, ...groups.map((row) => row.requests));

  return html`
    <h1>Usage</h1>
    <form class="filters" onChange=${change} onSubmit=${(event: Event) => { event.preventDefault(); change(event); }} aria-label="Usage options">
      <label>Time range
        <select name="since" value=${since}>${['1h', '24h', '7d', '30d'].map((value) => html`<option value=${value}>last ${value}</option>`)}</select>
      </label>
      <label>Bucket
        <select name="bucket" value=${bucket}>${['minute', 'hour', 'day'].map((value) => html`<option value=${value}>${value}</option>`)}</select>
      </label>
      <label>Group by
        <select name="group_by" value=${groupBy}>${GROUPS.map((value) => html`<option value=${value}>${value}</option>`)}</select>
      </label>
    </form>
    ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
    ${data === null && error === null ? html`<p aria-busy="true">Loading…</p>` : null}
    ${data === null ? null : html`
      <section aria-labelledby="by-group-title">
        <div class="section-head">
          <h2 id="by-group-title">By ${groupBy}</h2>
          <button type="button" onClick=${() => downloadCsv(groups, groupBy, since)}>Export CSV</button>
        </div>
        ${groups.length === 0 ? html`<p class="empty">No requests in this time range.</p>` : html`
          <div class="table-wrap"><table class="usage" id="usage-table">
            <thead><tr>
              <th scope="col">${groupBy}</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Errors</th>
              <th scope="col" class="num">Error rate</th><th scope="col" class="num">p50</th><th scope="col" class="num">p95</th>
              <th scope="col" class="num">p99</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Cost</th>
            </tr></thead>
            <tbody>${groups.map((row) => html`
              <tr data-group=${row.group ?? ''}>
                <th scope="row">${row.group ?? '(none)'}<span class="bar" aria-hidden="true" style=${{ width: `${(row.requests / maxRequests) * 100}%` }}></span></th>
                <td class="num" data-field="requests">${row.requests}</td>
                <td class="num" data-field="errors">${row.errors}</td>
                <td class="num">${formatPercent(row.error_rate)}</td>
                <td class="num">${formatMs(row.latency_ms.p50)}</td>
                <td class="num">${formatMs(row.latency_ms.p95)}</td>
                <td class="num">${formatMs(row.latency_ms.p99)}</td>
                <td class="num" data-field="total_tokens">${row.total_tokens}</td>
                <td class="num" data-field="cost_usd">${formatUsd(row.cost_usd)}</td>
              </tr>`)}</tbody>
          </table></div>`}
      </section>
      <section aria-labelledby="over-time-title">
        <h2 id="over-time-title">Over time</h2>
        ${data.series.data.length === 0 ? html`<p class="empty">Nothing to chart yet.</p>` : html`
          <div class="charts">
            <${TimeChart} title="Requests and errors" times=${chart.times} series=${chart.traffic} from=${chart.from} to=${chart.to} />
            <${TimeChart} title="Latency percentiles" times=${chart.times} series=${chart.latency} from=${chart.from} to=${chart.to} />
          </div>
          <details>
            <summary>The charts' numbers as a table</summary>
            <div class="table-wrap"><table class="series">
              <thead><tr><th scope="col">Bucket start</th><th scope="col" class="num">Requests</th><th scope="col" class="num">Errors</th>
                <th scope="col" class="num">p50</th><th scope="col" class="num">p95</th><th scope="col" class="num">p99</th>
                <th scope="col" class="num">Tokens</th><th scope="col" class="num">Cost</th></tr></thead>
              <tbody>${data.series.data.map((point) => html`<tr>
                <td>${formatTime(point.bucket_start)}</td><td class="num">${point.requests}</td><td class="num">${point.errors}</td>
                <td class="num">${formatMs(point.latency_ms.p50)}</td><td class="num">${formatMs(point.latency_ms.p95)}</td><td class="num">${formatMs(point.latency_ms.p99)}</td>
                <td class="num">${formatCount(point.total_tokens)}</td><td class="num">${formatUsd(point.cost_usd)}</td></tr>`)}</tbody>
            </table></div>
          </details>`}
      </section>
      <section aria-labelledby="top-errors-title">
        <h2 id="top-errors-title">Top error codes</h2>
        ${data.errors.data.length === 0 ? html`<p class="empty">No errors in this time range.</p>` : html`
          <table><thead><tr><th scope="col">Error code</th><th scope="col" class="num">Count</th></tr></thead>
            <tbody>${data.errors.data.map((row) => html`<tr><td><code>${row.error_code}</code></td><td class="num">${row.count}</td></tr>`)}</tbody></table>`}
      </section>
    `}
  `;
}

function downloadCsv(rows: Figures[], groupBy: string, since: string): void {
  const header = [groupBy, 'requests', 'errors', 'error_rate', 'p50_ms', 'p95_ms', 'p99_ms', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cost_usd'];
  const cell = (value: string | number | null) => {
    const text = value === null ? '' : String(value);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [header.join(','), ...rows.map((row) => [
    row.group, row.requests, row.errors, row.error_rate, row.latency_ms.p50, row.latency_ms.p95, row.latency_ms.p99,
    row.prompt_tokens, row.completion_tokens, row.total_tokens, row.cost_usd,
  ].map(cell).join(','))];
  const url = URL.createObjectURL(new Blob([`${lines.join('\n')}\n`], { type: 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `sluice-usage-by-${groupBy}-${since}.csv`;
  link.click();
  URL.revokeObjectURL(url);
}
