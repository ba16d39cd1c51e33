import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, query } from '../api.js';
import { formatTime, formatUsd } from '../format.js';
import { html } from '../html.js';
import type { KeyList, KeyView, Session, Summary } from '../types.js';

type Spend = Record<string, number>;

/** When each budget period began: spend is the analytics API's cost per key since then. */
function periodStart(period: string, now: Date): string | null {
  if (period === 'day') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())).toISOString();
  if (period === 'month') return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  if (period === 'total') return '1970-01-01T00:00:00.000Z';
  return null;
}

/** Virtual keys: list (never a secret), create (the secret shown once), edit limits, tier and budget, revoke. */
export function KeysPage({ session }: { session: Session }) {
  const [keys, setKeys] = useState<KeyView[] | null>(null);
  const [spend, setSpend] = useState<Record<string, Spend>>({});
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const reload = () => setVersion(version + 1);
  const fail = (caught: unknown) => setError(caught instanceof ApiError ? caught.message : 'The request failed.');

  useEffect(() => {
    api<KeyList>(`/admin/api/keys${query({ limit: 100 })}`).then(async (list) => {
      setKeys(list.data);
      const periods = new Set(list.data.map((key) => key.limits['budget_period']).filter((period) => typeof period === 'string'));
      const now = new Date();
      const entries = await Promise.all([...periods].map(async (period) => {
        const since = periodStart(period, now);
        if (since === null) return [period, {}] as const;
        const summary = await api<Summary>(`/admin/api/analytics/summary${query({ since, group_by: 'key' })}`);
        return [period, Object.fromEntries(summary.data.map((row) => [row.group ?? '', row.cost_usd]))] as const;
      }));
      setSpend(Object.fromEntries(entries));
    }).catch(fail);
  }, [version]);

  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (!(form instanceof HTMLFormElement)) return;
    const fields = new FormData(form);
    const text = filledText(fields);
    setError(null);
    try {
      const body = {
        name: text('name'),
        ...(session.role === 'admin' && text('tenant') !== undefined ? { tenant: text('tenant') } : {}),
        role: text('role') ?? 'client',
        ...(text('tier') === undefined ? {} : { tier: text('tier') }),
        limits: limitsFrom(text),
      };
      const result = await api<KeyView & { key: string }>('/admin/api/keys', { method: 'POST', body });
      setCreated({ name: result.name, secret: result.key });
      form.reset();
      reload();
    } catch (caught) {
      fail(caught);
    }
  };

  const revoke = async (id: string) => {
    setConfirming(null);
    await api(`/admin/api/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(reload, fail);
  };

  return html`
    <h1>Keys</h1>
    ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
    ${created === null ? null : html`
      <div class="card secret" role="status" aria-live="polite">
        <h2>Key “${created.name}” created</h2>
        <p>Copy the secret now: this is the only time it is shown.</p>
        <p><code class="secret-value" data-testid="new-secret">${created.secret}</code></p>
        <button type="button" onClick=${() => navigator.clipboard.writeText(created.secret).catch(() => {})}>Copy</button>
        <button type="button" onClick=${() => setCreated(null)}>Done</button>
      </div>`}
    <details class="card">
      <summary>Create a key</summary>
      <form class="grid-form" onSubmit=${create} aria-label="Create a key">
        <label>Name <input name="name" required maxlength="200" /></label>
        ${session.role === 'admin' ? html`<label>Tenant <input name="tenant" /></label>` : null}
        <label>Role <select name="role"><option value="client">client</option><option value="tenant_admin">tenant_admin</option></select></label>
        <label>Tier <input name="tier" /></label>
        <${LimitFields} limits=${{}} />
        <div class="actions"><button type="submit">Create key</button></div>
      </form>
    </details>
    ${keys === null && error === null ? html`<p aria-busy="true">Loading…</p>` : null}
    ${keys !== null && keys.length === 0 ? html`<p class="empty">No keys yet: create one above.</p>` : null}
    ${keys !== null && keys.length > 0 ? html`
      <div class="table-wrap"><table class="keys">
        <thead><tr>
          <th scope="col">Name</th><th scope="col">Key</th><th scope="col">Tenant</th><th scope="col">Role</th><th scope="col">Tier</th>
          <th scope="col">Status</th><th scope="col">Budget</th><th scope="col">Last used</th><th scope="col">Actions</th>
        </tr></thead>
        <tbody>${keys.map((key) => html`
          <tr data-key-id=${key.id}>
            <th scope="row">${key.name}</th>
            <td><code>${key.key_hint}</code></td>
            <td>${key.tenant ?? '–'}</td>
            <td>${key.role}</td>
            <td>${key.tier ?? '–'}</td>
            <td><span class=${`badge ${key.status === 'active' ? 'good' : 'bad'}`}>${key.status}</span></td>
            <td><${BudgetBar} limits=${key.limits} spent=${spendOf(spend, key)} /></td>
            <td>${key.last_used_at === null ? 'never' : formatTime(key.last_used_at)}</td>
            <td class="row-actions">
              ${key.status === 'revoked' ? null : html`
                <button type="button" onClick=${() => setEditing(editing === key.id ? null : key.id)} aria-expanded=${editing === key.id}>Edit</button>
                ${confirming === key.id
                  ? html`<button type="button" class="danger" onClick=${() => revoke(key.id)}>Confirm revoke</button>
                         <button type="button" onClick=${() => setConfirming(null)}>Cancel</button>`
                  : html`<button type="button" onClick=${() => setConfirming(key.id)}>Revoke</button>`}`}
            </td>
          </tr>
          ${editing === key.id ? html`<tr><td colspan="9"><${EditKey} keyView=${key} onDone=${() => { setEditing(null); reload(); }} onError=${fail} /></td></tr>` : null}
        `)}</tbody>
      </table></div>` : null}
  `;
}

function spendOf(spend: Record<string, Spend>, key: KeyView): number | null {
  const period = key.limits['budget_period'];
  if (typeof period !== 'string') return null;
  return spend[period]?.[key.id] ?? 0;
}

const SHOWN_LIMITS = new Set(['rpm', 'tpm', 'requests_per_day', 'tokens_per_day', 'budget_usd', 'budget_period']);

function limitsFrom(text: (name: string) => string | undefined): Record<string, number | string> {
  const limits: Record<string, number | string> = {};
  for (const name of ['rpm', 'tpm', 'requests_per_day', 'tokens_per_day']) {
    const value = text(name);
    if (value !== undefined) limits[name] = Number.parseInt(value, 10);
  }
  const budget = text('budget_usd');
  if (budget !== undefined) {
    limits['budget_usd'] = Number.parseFloat(budget);
    limits['budget_period'] = text('budget_period') ?? 'month';
  }
  return limits;
}

function LimitFields({ limits }: { limits: Record<string, number | string> }) {
  const value = (name: string) => (limits[name] === undefined ? '' : String(limits[name]));
  return html`
    <label>Requests per minute <input name="rpm" type="number" min="1" step="1" value=${value('rpm')} /></label>
    <label>Tokens per minute <input name="tpm" type="number" min="1" step="1" value=${value('tpm')} /></label>
    <label>Requests per day <input name="requests_per_day" type="number" min="1" step="1" value=${value('requests_per_day')} /></label>
    <label>Budget (USD) <input name="budget_usd" type="number" min="0.01" step="0.01" value=${value('budget_usd')} /></label>
    <label>Budget period
      <select name="budget_period" value=${value('budget_period') || 'month'}>
        <option value="day">day</option><option value="month">month</option><option value="total">total</option>
      </select>
    </label>
  `;
}

function EditKey({ keyView, onDone, onError }: { keyView: KeyView; onDone: () => void; onError: (error: unknown) => void }) {
  const save = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (!(form instanceof HTMLFormElement)) return;
    const fields = new FormData(form);
    const text = filledText(fields);
    const tier = text('tier');
    // Limits this form does not show (max input tokens…) are kept as they are.
    const kept = Object.fromEntries(Object.entries(keyView.limits).filter(([name]) => !SHOWN_LIMITS.has(name)));
    const body = { tier: tier ?? null, enabled: fields.get('enabled') === 'on', limits: { ...kept, ...limitsFrom(text) } };
    await api(`/admin/api/keys/${encodeURIComponent(keyView.id)}`, { method: 'PATCH', body }).then(onDone, onError);
  };
  return html`
    <form class="grid-form" onSubmit=${save} aria-label=${`Edit ${keyView.name}`}>
      <label>Tier <input name="tier" value=${keyView.tier ?? ''} /></label>
      <${LimitFields} limits=${keyView.limits} />
      <label class="inline"><input type="checkbox" name="enabled" checked=${keyView.enabled} /> Enabled</label>
      <div class="actions"><button type="submit">Save</button></div>
    </form>
  `;
}

/** Spend against the budget, with marks at 50, 80 and 100 %; the numbers are in the text, not only the bar. */
function BudgetBar({ limits, spent }: { limits: Record<string, number | string>; spent: number | null }) {
  const budget = limits['budget_usd'];
  if (typeof budget !== 'number' || spent === null) return html`<span class="muted">no budget</span>`;
  const fraction = budget > 0 ? spent / budget : 0;
  const level = fraction >= 1 ? 'over' : fraction >= 0.8 ? 'high' : fraction >= 0.5 ? 'mid' : 'low';
  return html`
    <div class="budget">
      <div class=${`budget-bar ${level}`} role="meter" aria-valuemin="0" aria-valuemax=${budget} aria-valuenow=${Math.min(spent, budget)}
        aria-label=${`Budget used: ${formatUsd(spent)} of ${formatUsd(budget)} per ${String(limits['budget_period'])}`}>
        <span class="fill" style=${{ width: `${Math.min(100, fraction * 100)}%` }}></span>
        <span class="mark" style=${{ left: '50%' }}></span><span class="mark" style=${{ left: '80%' }}></span><span class="mark" style=${{ left: 'calc(100% - 2px)' }}></span>
      </div>
      <small>${formatUsd(spent)} / ${formatUsd(budget)} (${Math.round(fraction * 100)} %) per ${String(limits['budget_period'])}</small>
    </div>
  `;
}

/** A form field's trimmed text, or undefined when it was left empty. */
function filledText(fields: FormData): (name: string) => string | undefined {
  return (name) => {
    const value = fields.get(name);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
}
