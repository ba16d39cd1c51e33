import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { formatTime } from '../format.js';
import { html } from '../html.js';
import type { Health } from '../types.js';

const DEFAULT_REFRESH_S = 15;

/** Gateway and provider health, refreshed every 15 s (`#/health?refresh=N` to change it). */
export function HealthPage({ params }: { params: URLSearchParams }) {
  const refreshSeconds = Math.max(1, Number.parseInt(params.get('refresh') ?? '', 10) || DEFAULT_REFRESH_S);
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const now = useNow();

  useEffect(() => {
    let cancelled = false;
    api<Health>('/admin/api/health').then((value) => {
      if (!cancelled) { setHealth(value); setError(null); }
    }, (caught: unknown) => {
      if (!cancelled) setError(caught instanceof ApiError ? caught.message : 'Loading health failed.');
    });
    const timer = setTimeout(() => setTick(tick + 1), refreshSeconds * 1000);
    return () => { cancelled = true; clearTimeout(timer); };
  }, [tick, refreshSeconds]);

  const providers = Object.entries(health?.checks.providers ?? {});
  return html`
    <div class="section-head">
      <h1>Health</h1>
      <span class="muted" aria-live="polite">${health === null ? '' : `Checked ${formatTime(health.checked_at)} · refreshes every ${refreshSeconds} s`}</span>
      <button type="button" onClick=${() => setTick(tick + 1)}>Refresh now</button>
    </div>
    ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
    ${health === null && error === null ? html`<p aria-busy="true">Loading…</p>` : null}
    ${health === null ? null : html`
      <div class="cards">
        <section class="card" aria-labelledby="gateway-card"><h2 id="gateway-card">Gateway</h2>
          <p><span class=${`badge ${health.status === 'ready' ? 'good' : 'bad'}`}>${health.status}</span></p>
          <p>Score: <strong>${health.score ?? 'not enough traffic'}</strong></p></section>
        <section class="card" aria-labelledby="database-card"><h2 id="database-card">Database</h2>
          <p><span class=${`badge ${health.checks.database?.status === 'ok' ? 'good' : 'bad'}`}>${health.checks.database?.status ?? 'unknown'}</span></p></section>
        <section class="card" aria-labelledby="redis-card"><h2 id="redis-card">Redis</h2>
          <p><span class=${`badge ${health.checks.redis?.status === 'unreachable' ? 'bad' : 'good'}`}>${health.checks.redis?.status ?? 'unknown'}</span></p></section>
      </div>
      <h2>Providers</h2>
      ${providers.length === 0 ? html`<p class="empty">No providers configured.</p>` : html`
        <div class="cards">${providers.map(([name, provider]) => html`
          <section class="card provider" data-provider=${name} aria-labelledby=${`provider-${name}`}>
            <h3 id=${`provider-${name}`}>${name}</h3>
            <p>Circuit: <span class=${`badge circuit ${provider.circuit === 'closed' ? 'good' : provider.circuit === 'open' ? 'bad' : 'warn'}`} data-circuit=${provider.circuit}>${provider.circuit}</span></p>
            <p>Score: <strong>${provider.score ?? '–'}</strong></p>
            ${Object.keys(provider.targets).length === 0 ? null : html`
              <ul>${Object.entries(provider.targets).map(([model, state]) => html`<li><code>${model}</code>: ${state}${cooldownText(provider.cooldowns?.[model], now)}</li>`)}</ul>`}
          </section>`)}</div>`}
    `}
  `;
}

/** A clock that ticks every second while the page is shown, for the cooldown countdowns. */
function useNow(): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** ", probes again in 9 m 59 s" for an open target; the server's cooldown end, counted down here between refreshes. */
function cooldownText(until: string | undefined, now: number): string {
  if (until === undefined) return '';
  const seconds = Math.max(0, Math.ceil((Date.parse(until) - now) / 1000));
  if (seconds === 0) return ', probe due now';
  const minutes = Math.floor(seconds / 60);
  return `, probes again in ${minutes > 0 ? `${minutes} m ` : ''}${seconds % 60} s`;
}
