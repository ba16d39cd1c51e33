import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { html } from '../html.js';
import type { Session } from '../types.js';

/** Exchanges a key for a session cookie; the key is sent once and never kept in the page. */
export function SignIn({ onSignedIn }: { onSignedIn: (session: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget;
    if (!(form instanceof HTMLFormElement)) return;
    const input = form.elements.namedItem('key');
    if (!(input instanceof HTMLInputElement)) return;
    setBusy(true);
    setError(null);
    try {
      const session = await api<Session>('/dashboard/api/session', { method: 'POST', body: { key: input.value }, expectUnauthorized: true });
      input.value = '';
      onSignedIn(session);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'The gateway did not answer.');
    } finally {
      setBusy(false);
    }
  };

  return html`
    <main class="center">
      <form class="card sign-in" onSubmit=${submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Sluice</h1>
        <p>Use the master key or a tenant-admin key. It is exchanged for a session; the page never stores it.</p>
        <label for="key">Admin key</label>
        <input id="key" name="key" type="password" autocomplete="current-password" required autofocus />
        ${error === null ? null : html`<p class="error" role="alert">${error}</p>`}
        <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  `;
}
