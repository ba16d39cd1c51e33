/**
 * Dashboard sessions over plain HTTP (no browser): what the cookie opens, what ends it, the CSRF
 * rule, the sign-in limit, and the headers the page is served with.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../scripts/build-web.js';
import { resolveConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/main.js';
import type { Gateway } from '../../src/main.js';

const MASTER_KEY = 'sk-test-master-key';
let directory: string;
let gateway: Gateway;
let baseUrl: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'sluice-sessions-http-'));
  const assets = await buildDashboard(join(directory, 'web'));
  const resolved = resolveConfig({
    auth: { master_key: MASTER_KEY },
    server: { trust_proxy: true },
    storage: { database_url: `sqlite://${join(directory, 'sluice.db')}` },
    logging: { level: 'silent' },
  });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  gateway = await createGateway(resolved.config, { cwd: directory, logger: pino({ level: 'silent' }), dashboardAssetsDirectory: assets.directory });
  baseUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await gateway?.close();
  rmSync(directory, { recursive: true, force: true });
});

async function signIn(key: string, headers: Record<string, string> = {}): Promise<{ status: number; cookie: string | null; csrf: string | null; setCookie: string }> {
  const response = await fetch(`${baseUrl}/dashboard/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl, 'x-forwarded-for': headers['x-forwarded-for'] ?? '10.0.0.1', ...headers },
    body: JSON.stringify({ key }),
  });
  const setCookie = response.headers.get('set-cookie') ?? '';
  const body: { csrf_token?: string } = JSON.parse(await response.text());
  const cookie = /sluice_session=([^;]*)/.exec(setCookie)?.[1] ?? null;
  return { status: response.status, cookie, csrf: body.csrf_token ?? null, setCookie };
}

async function withCookie(path: string, cookie: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<number> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { cookie: `sluice_session=${cookie}`, 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
  const response = await fetch(`${baseUrl}/admin/api/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return JSON.parse(await response.text());
}

describe('dashboard sessions', () => {
  it('revoking the tenant-admin key behind a session ends the session at once', async () => {
    const admin = await createKey({ name: 'acme-admin', tenant: 'acme', role: 'tenant_admin' });
    const session = await signIn(admin.key, { 'x-forwarded-for': '10.0.0.2' });
    expect(session.status).toBe(201);
    expect(await withCookie('/admin/api/keys', session.cookie ?? '')).toBe(200);
    const revoke = await fetch(`${baseUrl}/admin/api/keys/${admin.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(revoke.status).toBe(200);
    expect(await withCookie('/admin/api/keys', session.cookie ?? '')).toBe(401);
    expect(await withCookie('/dashboard/api/session', session.cookie ?? '')).toBe(401);
  });

  it('a client key cannot sign in, and an unsafe request with the cookie needs the same origin and the CSRF token', async () => {
    const client = await createKey({ name: 'plain-client', tenant: 'acme' });
    expect((await signIn(client.key, { 'x-forwarded-for': '10.0.0.3' })).status).toBe(401);
    const session = await signIn(MASTER_KEY, { 'x-forwarded-for': '10.0.0.3' });
    const cookie = session.cookie ?? '';
    const body = { name: 'via-cookie' };
    expect(await withCookie('/admin/api/keys', cookie, { method: 'POST', headers: { origin: baseUrl }, body })).toBe(403);
    expect(await withCookie('/admin/api/keys', cookie, { method: 'POST', headers: { origin: 'http://evil.example', 'x-sluice-csrf': session.csrf ?? '' }, body })).toBe(403);
    expect(await withCookie('/admin/api/keys', cookie, { method: 'POST', headers: { 'sec-fetch-site': 'same-site', 'x-sluice-csrf': session.csrf ?? '' }, body })).toBe(403);
    expect(await withCookie('/admin/api/keys', cookie, { method: 'POST', headers: { 'sec-fetch-site': 'same-origin', 'x-sluice-csrf': session.csrf ?? '' }, body })).toBe(201);
    // A cross-origin sign-in form is refused too (no login CSRF).
    expect((await signIn(MASTER_KEY, { origin: 'http://evil.example', 'x-forwarded-for': '10.0.0.3' })).status).toBe(403);
  });

  it('the cookie is Secure behind an https proxy, and only the session id (never the key) is in it', async () => {
    const plain = await signIn(MASTER_KEY, { 'x-forwarded-for': '10.0.0.4' });
    expect(plain.setCookie).toMatch(/HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const https = await signIn(MASTER_KEY, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.0.0.4', origin: baseUrl.replace('http:', 'https:') });
    expect(https.status).toBe(201);
    expect(https.setCookie).toMatch(/; Secure$/);
    expect(https.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(https.setCookie).not.toContain(MASTER_KEY);
  });

  it('sign-in attempts from one address are limited to 10 a minute', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 11; attempt++) statuses.push((await signIn('sk-wrong', { 'x-forwarded-for': '10.0.0.9' })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    // Another address is not affected.
    expect((await signIn(MASTER_KEY, { 'x-forwarded-for': '10.0.0.10' })).status).toBe(201);
  });

  it('the page is served with a strict CSP and no-store, its hashed assets as immutable', async () => {
    const page = await fetch(`${baseUrl}/dashboard/`);
    const html = await page.text();
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(html).not.toMatch(/<script>|<style>/);
    const script = /src="(\/dashboard\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${baseUrl}${script}`);
    await asset.arrayBuffer();
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${baseUrl}/dashboard`, { redirect: 'manual' })).headers.get('location')).toBe('/dashboard/');
  });
});
