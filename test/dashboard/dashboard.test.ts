/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core against a real
 * gateway on 127.0.0.1 (a free port), with scripted upstreams and a request log seeded through the
 * gateway itself. One browser for the whole file; a context (cookie jar) per role or sign-in scenario.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../scripts/build-web.js';
import { resolveConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/main.js';
import type { Gateway } from '../../src/main.js';
import { openaiError, startMockUpstream } from '../mock-upstream/index.js';
import type { MockUpstream } from '../mock-upstream/index.js';

const MASTER_KEY = 'sk-test-master-key';
const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
/** Screenshots and the request counts land here (docs/dashboard.md shows copies). */
const ARTIFACTS = resolve(import.meta.dirname, '../../test-results/dashboard');

let workDirectory: string;
let gateway: Gateway;
let baseUrl: string;
let primary: MockUpstream;
let backup: MockUpstream;
let breakable: MockUpstream;
let browser: Browser;
let acmeAdminKey: string;
let acmeClientKeyId: string;
let globexClientKeyId: string;
const pageLoads: Record<string, { requests: number; urls: string[] }> = {};

interface WireLog { request_id: string; tenant_id: string | null; user: string | null; attempts: number; model: string | null; status: number }

async function admin<T>(path: string, init: { method?: string; body?: unknown; key?: string } = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${init.key ?? MASTER_KEY}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
    const body: T = JSON.parse(await response.text());
  return { status: response.status, body };
}

async function chat(key: string, model: string, content: string, user?: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }], ...(user === undefined ? {} : { user }) }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function allLogs(query: string, key = MASTER_KEY): Promise<WireLog[]> {
  const { body } = await admin<{ data: WireLog[] }>(`/admin/api/logs?since=1h&limit=1000${query}`, { key });
  return body.data;
}

beforeAll(async () => {
  workDirectory = mkdtempSync(join(tmpdir(), 'sluice-dashboard-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const assets = await buildDashboard(join(workDirectory, 'web'));
  [primary, backup, breakable] = await Promise.all([startMockUpstream(), startMockUpstream(), startMockUpstream()]);
  const resolved = resolveConfig({
    auth: { master_key: MASTER_KEY },
    storage: { database_url: `sqlite://${join(workDirectory, 'sluice.db')}` },
    logging: { level: 'silent', log_bodies: true },
    providers: [
      { name: 'mock', type: 'mock', models: ['echo', 'lorem'] },
      { name: 'primary', type: 'openai', base_url: `${primary.url}/v1`, timeout_ms: 5000 },
      { name: 'backup', type: 'openai', base_url: `${backup.url}/v1`, timeout_ms: 5000 },
      { name: 'breakable', type: 'openai', base_url: `${breakable.url}/v1`, timeout_ms: 5000 },
    ],
    models: [
      { name: 'echo', targets: [{ provider: 'mock', model: 'echo' }] },
      { name: 'lorem', targets: [{ provider: 'mock', model: 'lorem' }] },
      { name: 'smart', targets: [{ provider: 'primary', model: 'gpt-a' }, { provider: 'backup', model: 'gpt-b' }], retry: { max_attempts: 1 } },
      {
        name: 'flaky', targets: [{ provider: 'breakable', model: 'gpt-c' }], retry: { max_attempts: 1 },
        circuit_breaker: { failure_threshold: 2, cooldown_ms: 600_000 },
      },
      // Cache, Prompts and Experiments pages get models of their own, so their traffic changes no other page's rows.
      { name: 'cached', targets: [{ provider: 'mock', model: 'echo' }], cache: { enabled: true } },
      { name: 'ab-target', targets: [{ provider: 'mock', model: 'echo' }] },
      { name: 'ab-other', targets: [{ provider: 'mock', model: 'lorem' }] },
    ],
  });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  gateway = await createGateway(resolved.config, { cwd: workDirectory, logger: pino({ level: 'silent' }), dashboardAssetsDirectory: assets.directory });
  baseUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });

  // Keys of two tenants, made through the admin API as an operator would.
  const acmeAdmin = await admin<{ key: string }>('/admin/api/keys', { method: 'POST', body: { name: 'acme-admin', tenant: 'acme', role: 'tenant_admin' } });
  acmeAdminKey = acmeAdmin.body.key;
  const acmeClient = await admin<{ id: string; key: string }>('/admin/api/keys', { method: 'POST', body: { name: 'acme-app', tenant: 'acme' } });
  const globexClient = await admin<{ id: string; key: string }>('/admin/api/keys', {
    method: 'POST', body: { name: 'globex-app', tenant: 'globex', limits: { budget_usd: 5, budget_period: 'month' } },
  });
  acmeClientKeyId = acmeClient.body.id;
  globexClientKeyId = globexClient.body.id;

  // The seeded log: two tenants, several users and models, a refused model, and one request that
  // fails on its first target (a scripted 500) and succeeds on the fallback.
  for (let index = 0; index < 6; index++) expect(await chat(acmeClient.body.key, 'echo', `hello number ${index}`, 'alice')).toBe(200);
  for (let index = 0; index < 4; index++) expect(await chat(globexClient.body.key, 'lorem', `globex question ${index}`, 'bob')).toBe(200);
  expect(await chat(acmeClient.body.key, 'echo', 'the pineapple question', 'carol')).toBe(200);
  expect(await chat(globexClient.body.key, 'no-such-model', 'lost', 'bob')).toBe(404);
  primary.enqueue('/v1/chat/completions', openaiError(500, 'primary exploded'));
  expect(await chat(MASTER_KEY, 'smart', 'fall back please', 'dave')).toBe(200);
  // A cache miss then a hit, and a prompt with two versions served once.
  for (let index = 0; index < 2; index++) expect(await chat(MASTER_KEY, 'cached', 'the same question twice')).toBe(200);
  expect((await admin('/admin/api/prompts', { method: 'POST', body: {
    name: 'greet', template: 'Say hello to {{name}}', model_config: { model: 'ab-target' }, labels: ['production'],
  } })).status).toBe(201);
  expect((await admin('/admin/api/prompts/greet/versions', { method: 'POST', body: { template: 'Say goodbye to {{name}}', model_config: { model: 'ab-target' } } })).status).toBe(201);
  const prompted = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt_id: 'greet', prompt_label: 'production', prompt_variables: { name: 'Ann' } }),
  });
  expect(prompted.status).toBe(200);
  await prompted.arrayBuffer();
  await gateway.experimentsReady;
  expect((await admin('/admin/api/experiments', { method: 'POST', body: {
    name: 'echo-vs-lorem', target: { model: 'ab-target' }, unit: 'user', min_samples_per_variant: 2,
    variants: [{ name: 'control', weight: 1 }, { name: 'lorem', weight: 1, model: 'ab-other' }],
  } })).status).toBe(201);
  await gateway.flushRequestLog();

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  writeFileSync(join(ARTIFACTS, 'requests-per-page-load.json'), `${JSON.stringify(pageLoads, null, 2)}\n`);
  await browser?.close();
  await gateway?.close();
  await Promise.all([primary?.close(), backup?.close(), breakable?.close()]);
  rmSync(workDirectory, { recursive: true, force: true });
});

async function newContext(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  return browser.newContext({ viewport, baseURL: baseUrl });
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.goto('/dashboard/');
  await page.getByLabel('Admin key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** Opens a page by its hash route and counts the requests a full load of it makes (the reload). */
async function openPage(page: Page, route: string, ready: string, name = route.split('?')[0] ?? route): Promise<void> {
  const urls: string[] = [];
  const count = (request: { url(): string }) => { urls.push(new URL(request.url()).pathname); };
  // From a blank page, so the hash route is a full load (not a hash change inside the app).
  await page.goto('about:blank');
  page.on('request', count);
  await page.goto(`/dashboard/#/${route}`);
  await page.locator(ready).first().waitFor();
  await page.waitForLoadState('networkidle');
  page.off('request', count);
  pageLoads[name] = { requests: urls.length, urls };
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`);
}

// A real browser on a shared 2-core machine: generous per-test limits, though each case takes seconds.
describe('dashboard sign-in and session', { timeout: 60_000 }, () => {
  it('refuses a bad key, signs in with a good one into an HttpOnly SameSite=Strict cookie, and a sign-out ends the session on the server', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto('/dashboard/');
    await page.getByLabel('Admin key').fill('sk-not-a-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('master key or a tenant-admin key');
    expect(await context.cookies()).toEqual([]);

    await page.getByLabel('Admin key').fill(MASTER_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Logs' }).waitFor();
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'sluice_session', httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(cookie?.value).not.toContain(MASTER_KEY);
    expect(await page.evaluate('document.cookie')).toBe('');
    const sessionValue = cookie?.value ?? '';

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin key').waitFor();
    await page.reload();
    await page.getByLabel('Admin key').waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    // The old cookie value is dead on the server, not only forgotten by the browser.
    const replay = await fetch(`${baseUrl}/admin/api/keys`, { headers: { cookie: `sluice_session=${sessionValue}` } });
    expect(replay.status).toBe(401);
    await context.close();
  });

  it('refuses a cross-origin POST that carries the session cookie, and creates nothing', async () => {
    // A page on another port of the same host is same-site, so SameSite=Strict still sends the
    // cookie: the same-origin check and the CSRF header are what stop it.
    const attacker: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><form id="f" method="POST" action="${baseUrl}/admin/api/keys" enctype="text/plain">
        <input name='{"name":"evil","x":"' value='"}'></form><script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((done) => attacker.listen(0, '127.0.0.1', done));
    const context = await newContext();
    const page = await context.newPage();
    await signIn(page, MASTER_KEY);
    const answer = page.waitForResponse((response) => response.url() === `${baseUrl}/admin/api/keys` && response.request().method() === 'POST');
    await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
    expect((await answer).status()).toBe(403);
    const keys = await admin<{ data: Array<{ name: string }> }>('/admin/api/keys?limit=100');
    expect(keys.body.data.map((key) => key.name)).not.toContain('evil');
    await context.close();
    await new Promise((done) => attacker.close(done));
  });
});

describe('dashboard pages', { timeout: 60_000 }, () => {
  // One signed-in master session for the pages below (a tab each); other roles get their own.
  let masterContext: BrowserContext;
  beforeAll(async () => {
    masterContext = await newContext();
    await masterContext.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await masterContext.newPage();
    await signIn(page, MASTER_KEY);
    await page.close();
  });
  afterAll(async () => {
    await masterContext.close();
  });

  it('Keys: a created key works, its secret shows once and never after a reload, and revoking it gets 401 on /v1/chat/completions', async () => {
    const page = await masterContext.newPage();
    await openPage(page, 'keys', 'table.keys');
    await page.getByText('Create a key').click();
    const form = page.getByRole('form', { name: 'Create a key' });
    await form.getByLabel('Name', { exact: true }).fill('browser-made');
    await form.getByLabel('Tenant', { exact: true }).fill('acme');
    await form.getByLabel('Budget (USD)').fill('2');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-secret').textContent()) ?? '';
    expect(secret).toMatch(/^sk-sluice-/);
    await page.screenshot({ path: join(ARTIFACTS, 'keys.png'), fullPage: true });
    expect(await chat(secret, 'echo', 'made in the browser')).toBe(200);

    await page.reload();
    await page.locator('table.keys').waitFor();
    expect(await page.content()).not.toContain(secret);
    const row = page.locator('tr', { has: page.getByRole('rowheader', { name: 'browser-made' }) });
    await expect.poll(() => row.getByRole('meter').getAttribute('aria-label')).toContain('per month');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Confirm revoke' }).click();
    await expect.poll(() => row.locator('.badge').textContent()).toBe('revoked');
    expect(await chat(secret, 'echo', 'after revoke')).toBe(401);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('Logs: filters and full-text search return the rows the API returns, and keyset pages stay stable while new rows arrive', async () => {
    const page = await masterContext.newPage();
    await openPage(page, 'logs', 'table.logs');
    await page.screenshot({ path: join(ARTIFACTS, 'logs.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    const shownIds = async () => page.locator('table.logs tbody tr td:nth-child(2)').allTextContents();
    await page.getByLabel('User').fill('alice');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(shownIds).toEqual((await allLogs('&user=alice')).map((row) => row.request_id));
    expect((await shownIds()).length).toBe(6);

    await page.getByLabel('User').fill('');
    await page.getByLabel('Search').fill('pineapple');
    await page.getByRole('button', { name: 'Apply' }).click();
    const pineapple = await allLogs('&q=pineapple');
    expect(pineapple).toHaveLength(1);
    await expect.poll(shownIds).toEqual([pineapple[0]?.request_id]);

    await page.getByLabel('Search').fill('');
    await page.getByLabel('Error code').fill('model_not_found');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(shownIds).toEqual((await allLogs('&error_code=model_not_found')).map((row) => row.request_id));
    expect((await shownIds()).length).toBe(1);

    // Pages of 4, walked to the end: together exactly the API's list, in order, nothing twice.
    const everything = (await allLogs('')).map((row) => row.request_id);
    await page.goto('/dashboard/#/logs?limit=4');
    await page.locator('table.logs').waitFor();
    const walked: string[] = [];
    let secondPage: string[] = [];
    for (let pageNumber = 1; ; pageNumber++) {
      await expect.poll(() => page.getByText(`Page ${pageNumber}`).count()).toBe(1);
      await expect.poll(async () => (await shownIds()).length > 0).toBe(true);
      const ids = await shownIds();
      if (pageNumber === 2) secondPage = ids;
      walked.push(...ids);
      if (await page.getByRole('button', { name: 'Older →' }).isDisabled()) break;
      await page.getByRole('button', { name: 'Older →' }).click();
      await expect.poll(async () => (await shownIds())[0] !== ids[0]).toBe(true);
    }
    expect(walked).toEqual(everything);
    // New rows arrive; page 2 reached again keeps the same rows (keyset, not offset).
    await page.reload();
    await expect.poll(() => page.getByText('Page 1').count()).toBe(1);
    await page.locator('table.logs').waitFor();
    expect(await chat(MASTER_KEY, 'echo', 'a newcomer row')).toBe(200);
    expect(await chat(MASTER_KEY, 'echo', 'another newcomer row')).toBe(200);
    await gateway.flushRequestLog();
    await page.getByRole('button', { name: 'Older →' }).click();
    await expect.poll(() => page.getByText('Page 2').count()).toBe(1);
    await expect.poll(shownIds).toEqual(secondPage);
    await page.close();
  });

  it('Logs: the detail drawer shows both attempts of a 500 then a fallback, the latency split and a curl line without the key', async () => {
    const page = await masterContext.newPage();
    const [fallback] = await allLogs('&model=smart');
    expect(fallback?.attempts).toBe(2);
    await page.goto('/dashboard/#/logs?model=smart');
    await page.getByRole('button', { name: `Details of ${fallback?.request_id}` }).click();
    const drawer = page.getByRole('dialog');
    const attempts = drawer.locator('table.attempts tbody tr');
    await expect.poll(() => attempts.count()).toBe(2);
    expect(await attempts.nth(0).textContent()).toContain('primary/gpt-a');
    expect(await attempts.nth(0).textContent()).toContain('500');
    expect(await attempts.nth(1).textContent()).toContain('backup/gpt-b');
    expect(await attempts.nth(1).textContent()).toContain('200');
    expect(await drawer.getByText('Gateway overhead').count()).toBe(1);
    expect(await drawer.locator('pre').first().textContent()).toContain('fall back please');
    await drawer.getByRole('button', { name: 'Copy as curl' }).click();
    const curl = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(curl).toContain('$SLUICE_API_KEY');
    expect(curl).toContain('/v1/chat/completions');
    expect(curl).not.toContain(MASTER_KEY);
    await page.screenshot({ path: join(ARTIFACTS, 'log-detail.png') });
    expect(await seriousViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await page.close();
  });

  it('Usage: the table behind the charts shows the analytics API\'s numbers, and the charts are drawn', async () => {
    const page = await masterContext.newPage();
    await openPage(page, 'usage?since=1h&group_by=model', '#usage-table');
    const { body } = await admin<{ data: Array<{ group: string; requests: number; errors: number; total_tokens: number }> }>(
      '/admin/api/analytics/summary?since=1h&group_by=model');
    expect(body.data.length).toBeGreaterThan(2);
    for (const group of body.data) {
      const row = page.locator(`#usage-table tr[data-group="${group.group ?? ''}"]`);
      expect(await row.locator('[data-field=requests]').textContent()).toBe(String(group.requests));
      expect(await row.locator('[data-field=errors]').textContent()).toBe(String(group.errors));
      expect(await row.locator('[data-field=total_tokens]').textContent()).toBe(String(group.total_tokens));
    }
    expect(await page.locator('.chart canvas').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'usage.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('Health: breaking an upstream turns its provider card open within one refresh', async () => {
    const page = await masterContext.newPage();
    await openPage(page, 'health?refresh=1', '.provider[data-provider=breakable]');
    const card = page.locator('.provider[data-provider=breakable] [data-circuit]');
    expect(await card.getAttribute('data-circuit')).toBe('closed');
    breakable.route('/v1/chat/completions', () => openaiError(500, 'broken on purpose'));
    for (let index = 0; index < 2; index++) expect(await chat(MASTER_KEY, 'flaky', 'are you there')).toBeGreaterThanOrEqual(500);
    // One refresh is 1 s here; the wait allows two, no more.
    await page.locator('.provider[data-provider=breakable] [data-circuit=open]').waitFor({ timeout: 2500 });
    // The open target counts down to the end of its 10-minute cooldown, second by second.
    const target = page.locator('.provider[data-provider=breakable] li', { hasText: 'gpt-c' });
    const first = (await target.textContent()) ?? '';
    expect(first).toMatch(/gpt-c: open, probes again in (9 m \d+|10 m 0) s$/);
    await expect.poll(() => target.textContent(), { timeout: 3000 }).not.toBe(first);
    expect(await target.textContent()).toMatch(/probes again in 9 m \d+ s$/);
    await page.screenshot({ path: join(ARTIFACTS, 'health.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('Alerts: the master key sees rules and history', async () => {
    const page = await masterContext.newPage();
    await openPage(page, 'alerts', 'h2');
    expect(await page.getByRole('heading', { name: 'Rules' }).count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'alerts.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('Cache: the hit counts equal the cache API\'s, and deleting an entry removes it from the store', async () => {
    const page = await masterContext.newPage();
    await openPage(page, 'cache', '#cache-stats');
    const { body: stats } = await admin<{ data: Array<{ group: string; requests: number; hits: number }> }>('/admin/api/cache/stats?since=24h&group_by=model');
    const cached = stats.data.find((row) => row.group === 'cached');
    expect(cached).toMatchObject({ requests: 2, hits: 1 });
    const row = page.locator('#cache-stats tr[data-group="cached"]');
    expect(await row.locator('[data-field=requests]').textContent()).toBe('2');
    expect(await row.locator('[data-field=hits]').textContent()).toBe('1');
    const { body: before } = await admin<{ data: Array<{ key: string; model: string; hit_count: number }> }>('/admin/api/cache/entries');
    expect(before.data).toHaveLength(1);
    const entry = page.locator(`table.cache-entries tr[data-key="${before.data[0]?.key ?? ''}"]`);
    expect(await entry.locator('[data-field=hits]').textContent()).toBe('1');
    await page.screenshot({ path: join(ARTIFACTS, 'cache.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await entry.getByRole('button', { name: /^Delete the cached entry/ }).click();
    await page.getByText('The cache holds no entries.').waitFor();
    expect((await admin<{ data: unknown[] }>('/admin/api/cache/entries')).body.data).toEqual([]);
    await page.close();
  });

  it('Prompts: versions, a diff of the two, a render preview and per-version stats that equal the prompts API\'s', async () => {
    const page = await masterContext.newPage();
    await openPage(page, 'prompts', 'table.prompts');
    const listed = page.locator('table.prompts tr[data-prompt=greet]');
    expect(await listed.textContent()).toContain('production → v1');
    await listed.getByRole('link', { name: 'greet' }).click();
    await expect.poll(() => page.locator('table.prompt-versions tbody tr').count()).toBe(2);
    const diff = page.getByLabel('Template diff from v1 to v2');
    await expect.poll(() => diff.textContent()).toContain('- Say hello to {{name}}');
    expect(await diff.textContent()).toContain('+ Say goodbye to {{name}}');

    const preview = page.getByRole('form', { name: 'Render preview' });
    await preview.getByLabel('Version').selectOption('1');
    await preview.getByLabel('Variables (JSON)').fill('{"name": "Ann"}');
    await preview.getByRole('button', { name: 'Render' }).click();
    await expect.poll(() => page.locator('.rendered pre').textContent()).toBe('Say hello to Ann');

    const { body: stats } = await admin<{ data: Array<{ group: string; requests: number }> }>('/admin/api/prompts/greet/stats?since=7d&by=version');
    expect(stats.data.length).toBeGreaterThan(0);
    for (const group of stats.data) {
      await expect.poll(() => page.locator(`table.prompt-stats tr[data-group="${group.group}"] [data-field=requests]`).textContent()).toBe(String(group.requests));
    }
    await page.screenshot({ path: join(ARTIFACTS, 'prompts.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('Experiments: start from the page, the results table equals the results API with its verdict, and stop ends it', async () => {
    const page = await masterContext.newPage();
    await openPage(page, 'experiments?name=echo-vs-lorem', 'table.experiments');
    await page.getByRole('button', { name: 'Start' }).click();
    await expect.poll(() => page.locator('tr[data-experiment=echo-vs-lorem] [data-status]').textContent()).toBe('running');
    for (let index = 0; index < 12; index++) expect(await chat(MASTER_KEY, 'ab-target', 'which variant am I', `ab-user-${index}`)).toBe(200);
    await gateway.flushRequestLog();
    await page.reload();
    const { body: results } = await admin<{ verdict: string; variants: Array<{ name: string; n: number; successes: number }> }>('/admin/api/experiments/echo-vs-lorem/results');
    expect(results.variants.reduce((sum, variant) => sum + variant.n, 0)).toBe(12);
    for (const variant of results.variants) {
      const row = page.locator(`table.experiment-results tr[data-variant="${variant.name}"]`);
      await expect.poll(() => row.locator('[data-field=n]').textContent()).toBe(String(variant.n));
      expect(await row.locator('[data-field=successes]').textContent()).toBe(String(variant.successes));
    }
    expect(await page.getByTestId('verdict').textContent()).toBe(`Verdict: ${results.verdict}`);
    await page.screenshot({ path: join(ARTIFACTS, 'experiments.png'), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    await expect.poll(() => page.locator('tr[data-experiment=echo-vs-lorem] [data-status]').textContent()).toBe('stopped');
    expect((await admin<{ status: string }>('/admin/api/experiments/echo-vs-lorem')).body.status).toBe('stopped');
    await page.close();
  });

  it('a tenant admin sees only its tenant: logs, usage and keys', async () => {
    const context = await newContext({ width: 390, height: 844 });
    const page = await context.newPage();
    await signIn(page, acmeAdminKey);
    expect(await page.getByRole('link', { name: 'Alerts' }).count()).toBe(0);
    await page.goto('/dashboard/#/logs?limit=100');
    await page.locator('table.logs').waitFor();
    const shown = await page.locator('table.logs tbody tr td:nth-child(2)').allTextContents();
    const acme = (await allLogs('&tenant_id=acme')).map((row) => row.request_id);
    expect(shown).toEqual(acme);
    const globex = new Set((await allLogs('&tenant_id=globex')).map((row) => row.request_id));
    expect(globex.size).toBeGreaterThan(0);
    expect(shown.filter((id) => globex.has(id))).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'logs-phone-tenant-admin.png'), fullPage: true });

    await page.goto('/dashboard/#/keys');
    await page.locator('table.keys').waitFor();
    const keyIds = await page.locator('table.keys tbody tr[data-key-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-key-id')));
    expect(keyIds).toContain(acmeClientKeyId);
    expect(keyIds).not.toContain(globexClientKeyId);
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('the sign-in page has no serious accessibility violation', async () => {
    const context = await newContext();
    const page = await context.newPage();
    await openPage(page, 'logs', '#key', 'sign-in');
    await page.screenshot({ path: join(ARTIFACTS, 'sign-in.png') });
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });
});
