import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../core/index.js';
import type { AdminSessions, Principal } from '../policies/index.js';
import { SESSION_COOKIE, readCookie, requireSameOriginWithToken, setSessionCookie } from './admin-session-auth.js';
import { parseBody } from './parse-body.js';

export interface DashboardRoutesOptions {
  sessions: AdminSessions;
  /** Where `npm run build` put the bundle (index.html and assets/); found beside the package by default. */
  assetsDirectory?: string | undefined;
}

/**
 * Everything the page may load comes from this origin; no inline script or style. The bundle
 * sets element styles only through the CSSOM, which style-src does not govern.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
  "font-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const signInSchema = z.strictObject({ key: z.string().min(1).max(4096) });

interface Bundle {
  index: Buffer;
  assets: Map<string, { body: Buffer; type: string }>;
}

/** GET /dashboard (the single-page app, its hashed assets) and /dashboard/api/session (sign in, who am I, sign out). */
export async function dashboardRoutes(app: FastifyInstance, options: DashboardRoutesOptions): Promise<void> {
  const { sessions } = options;
  const bundle = loadBundle(options.assetsDirectory ?? defaultAssetsDirectory());

  const securityHeaders = (reply: FastifyReply) => reply.headers({
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });

  app.get('/dashboard', async (_request, reply) => reply.redirect('/dashboard/', 302));
  app.get('/dashboard/', async (_request, reply) => {
    securityHeaders(reply);
    if (bundle === null) {
      return reply.code(503).type('text/plain; charset=utf-8')
        .send('The dashboard is not built. Run `npm run build` (npm install runs it) and restart Sluice.\n');
    }
    // The page names the hashed assets of this build: never cache it, so a new build shows at once.
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(bundle.index);
  });
  app.get<{ Params: { file: string } }>('/dashboard/assets/:file', async (request, reply) => {
    const asset = bundle?.assets.get(request.params.file);
    if (asset === undefined) throw new GatewayError('not_found', `Unknown dashboard asset: ${request.params.file}.`);
    securityHeaders(reply);
    // Names carry a content hash: a file never changes under its name.
    return reply.header('cache-control', 'public, max-age=31536000, immutable').type(asset.type).send(asset.body);
  });

  app.post('/dashboard/api/session', async (request, reply) => {
    // Login CSRF: a sign-in form on another site must not sign the browser in as someone else.
    requireSameOriginWithToken(request, null);
    const { key } = parseBody(signInSchema, request.body);
    const result = await sessions.signIn(key, request.ip);
    if (result === 'rate_limited') throw new GatewayError('rate_limit_exceeded', 'Too many sign-in attempts; wait a minute.');
    if (result === 'refused') throw new GatewayError('invalid_api_key', 'Sign in with the master key or a tenant-admin key.');
    setSessionCookie(request, reply, result.sessionId, Math.floor(sessions.absoluteMs / 1000));
    return reply.header('cache-control', 'no-store').code(201).send(sessionView(result.principal, result.csrfToken));
  });

  app.get('/dashboard/api/session', async (request, reply) => {
    const sessionId = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = sessionId === null ? null : await sessions.resolve(sessionId);
    if (session === null) throw new GatewayError('missing_api_key', 'You are not signed in to the dashboard.');
    return reply.header('cache-control', 'no-store').send(sessionView(session.principal, session.csrfToken));
  });

  app.delete('/dashboard/api/session', async (request, reply) => {
    const sessionId = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (sessionId !== null) {
      const session = await sessions.resolve(sessionId);
      if (session !== null) requireSameOriginWithToken(request, session.csrfToken);
      await sessions.signOut(sessionId);
    }
    setSessionCookie(request, reply, '', 0);
    return reply.code(204).send();
  });
}

function sessionView(principal: Principal, csrfToken: string): Record<string, unknown> {
  return { role: principal.role, tenant: principal.tenantId, label: principal.label, key_id: principal.keyId, csrf_token: csrfToken };
}

function loadBundle(directory: string): Bundle | null {
  const indexPath = join(directory, 'index.html');
  if (!existsSync(indexPath)) return null;
  const assets = new Map<string, { body: Buffer; type: string }>();
  const assetDirectory = join(directory, 'assets');
  if (existsSync(assetDirectory)) {
    for (const name of readdirSync(assetDirectory)) {
      assets.set(name, { body: readFileSync(join(assetDirectory, name)), type: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  }
  return { index: readFileSync(indexPath), assets };
}

/** `dist/web` of the package this file belongs to, from src/http (tests, tsx) or dist/http (built). */
function defaultAssetsDirectory(): string {
  let directory = import.meta.dirname;
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  return join(directory, 'dist', 'web');
}
