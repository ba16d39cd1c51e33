import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { formatTime } from '../format.js';
import { html } from '../html.js';
import type { Alerts } from '../types.js';

/** Alert rules, what fires now, the recent history, and a test message (master key only). */
export function AlertsPage() {
  const [alerts, setAlerts] = useState<Alerts | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);

  useEffect(() => {
    api<Alerts>('/admin/api/alerts').then(setAlerts, (caught: unknown) => setError(caught instanceof ApiError ? caught.message : 'Loading alerts failed.'));
  }, []);

  const sendTest = async () => {
    setSent(null);
    await api<{ queued: number }>('/admin/api/alerts/test', { method: 'POST', body: {} })
      .then((result) => setSent(`Queued ${result.queued} test message(s).`), (caught: unknown) => setSent(caught instanceof ApiError ? caught.message : 'Sending failed.'));
  };

  return html`
    <div class="section-head"><h1>Alerts</h1><button type="button" onClick=${sendTest}>Send a test message</button></div>
    ${sent === null ? null : html`<p role="status">${sent}</p>`}
    ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
    ${alerts === null && error === null ? html`<p aria-busy="true">Loading…</p>` : null}
    ${alerts === null ? null : html`
      <h2>Rules</h2>
      ${alerts.rules.length === 0 ? html`<p class="empty">No alert rules are configured (alerts.rules).</p>` : html`
        <table><thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Threshold</th><th scope="col">Scope</th><th scope="col">Window</th></tr></thead>
          <tbody>${alerts.rules.map((rule) => html`<tr><td>${rule.name}</td><td>${rule.type}</td><td>${rule.threshold ?? '–'}</td><td>${rule.scope}</td><td>${Math.round(rule.window_ms / 1000)} s</td></tr>`)}</tbody></table>`}
      <h2>Channels</h2>
      ${alerts.channels.length === 0 ? html`<p class="empty">No channels.</p>` : html`<ul>${alerts.channels.map((channel) => html`<li>${channel.name} (${channel.type})</li>`)}</ul>`}
      <h2>Now</h2>
      ${alerts.active.length === 0 ? html`<p class="empty">Nothing is pending or firing.</p>` : html`
        <table><thead><tr><th scope="col">Rule</th><th scope="col">Scope</th><th scope="col">State</th><th scope="col">Value</th><th scope="col">Since</th></tr></thead>
          <tbody>${alerts.active.map((alert) => html`<tr><td>${alert.rule}</td><td>${alert.scopeKey}</td><td>${alert.state}</td><td>${alert.value ?? '–'}</td><td>${formatTime(new Date(alert.since).toISOString())}</td></tr>`)}</tbody></table>`}
      <h2>History</h2>
      ${alerts.history.length === 0 ? html`<p class="empty">No notifications yet.</p>` : html`
        <table><thead><tr><th scope="col">At</th><th scope="col">Rule</th><th scope="col">Scope</th><th scope="col">State</th><th scope="col">Summary</th></tr></thead>
          <tbody>${alerts.history.map((entry) => html`<tr><td>${formatTime(new Date(entry.at).toISOString())}</td><td>${entry.rule}</td><td>${entry.scopeKey}</td><td>${entry.state}</td><td>${entry.summary}</td></tr>`)}</tbody></table>`}
    `}
  `;
}
