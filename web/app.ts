import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, useCsrfToken, whenSignedOut } from './api.js';
import { html } from './html.js';
import { AlertsPage } from './pages/alerts.js';
import { CachePage } from './pages/cache.js';
import { ExperimentsPage } from './pages/experiments.js';
import { HealthPage } from './pages/health.js';
import { KeysPage } from './pages/keys.js';
import { LogsPage } from './pages/logs.js';
import { PromptsPage } from './pages/prompts.js';
import { SignIn } from './pages/sign-in.js';
import { UsagePage } from './pages/usage.js';
import { useRoute } from './router.js';
import type { Session } from './types.js';

const PAGES = [
  { id: 'logs', title: 'Logs', masterOnly: false },
  { id: 'usage', title: 'Usage', masterOnly: false },
  { id: 'keys', title: 'Keys', masterOnly: false },
  { id: 'health', title: 'Health', masterOnly: false },
  { id: 'cache', title: 'Cache', masterOnly: false },
  { id: 'prompts', title: 'Prompts', masterOnly: false },
  { id: 'experiments', title: 'Experiments', masterOnly: true },
  { id: 'alerts', title: 'Alerts', masterOnly: true },
];

type SessionState = { state: 'loading' } | { state: 'signed-out' } | { state: 'signed-in'; session: Session };

export function App() {
  const [session, setSession] = useState<SessionState>({ state: 'loading' });
  const route = useRoute();
  const role = session.state === 'signed-in' ? session.session.role : null;
  const pages = PAGES.filter((entry) => !entry.masterOnly || role === 'admin');
  const page = pages.find((candidate) => candidate.id === route.page) ?? pages[0];
  const title = session.state === 'signed-in' ? page?.title ?? 'Dashboard' : 'Sign in';
  useEffect(() => {
    document.title = `${title} · Sluice`;
  }, [title]);

  const signedIn = (value: Session) => {
    useCsrfToken(value.csrf_token);
    setSession({ state: 'signed-in', session: value });
  };
  const signedOut = () => {
    useCsrfToken(null);
    setSession({ state: 'signed-out' });
  };

  useEffect(() => {
    whenSignedOut(signedOut);
    api<Session>('/dashboard/api/session', { expectUnauthorized: true }).then(signedIn, (error: unknown) => {
      if (error instanceof ApiError && error.status === 401) signedOut();
      else setSession({ state: 'signed-out' });
    });
  }, []);

  if (session.state === 'loading') return html`<main class="center" aria-busy="true"><p>Loading…</p></main>`;
  if (session.state === 'signed-out') return html`<${SignIn} onSignedIn=${signedIn} />`;

  const { session: current } = session;
  const signOut = async () => {
    await api('/dashboard/api/session', { method: 'DELETE' }).catch(() => {});
    signedOut();
  };

  return html`
    <header class="top">
      <a class="brand" href="#/logs">Sluice</a>
      <nav aria-label="Pages">
        <ul>
          ${pages.map((entry) => html`<li><a href=${`#/${entry.id}`} aria-current=${entry.id === page?.id ? 'page' : undefined}>${entry.title}</a></li>`)}
        </ul>
      </nav>
      <div class="who">
        <span>${current.role === 'admin' ? 'Master key' : `Tenant admin · ${current.tenant ?? ''}`}</span>
        <button type="button" onClick=${signOut}>Sign out</button>
      </div>
    </header>
    <main id="main">
      ${page?.id === 'logs' ? html`<${LogsPage} session=${current} params=${route.params} />` : null}
      ${page?.id === 'usage' ? html`<${UsagePage} session=${current} params=${route.params} />` : null}
      ${page?.id === 'keys' ? html`<${KeysPage} session=${current} />` : null}
      ${page?.id === 'health' ? html`<${HealthPage} params=${route.params} />` : null}
      ${page?.id === 'cache' ? html`<${CachePage} />` : null}
      ${page?.id === 'prompts' ? html`<${PromptsPage} params=${route.params} />` : null}
      ${page?.id === 'experiments' ? html`<${ExperimentsPage} params=${route.params} />` : null}
      ${page?.id === 'alerts' ? html`<${AlertsPage} />` : null}
    </main>
  `;
}
