import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/index.js';
import type { AdminSessions, Authenticator } from '../policies/index.js';
import { authenticateRequest } from './authenticate.js';

export const SESSION_COOKIE = 'sluice_session';
export const CSRF_HEADER = 'x-sluice-csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The admin API's key check, which also takes the dashboard's session cookie. A key header wins
 * (CLI, scripts); without one, a cookie is accepted on /admin/api only, and an unsafe method
 * with it must come from the same origin and carry the session's CSRF token.
 */
export function createAdminAuthenticateHook(authenticator: Authenticator, sessions: AdminSessions | null) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const sessionId = sessions === null || hasKeyHeader(request) || !request.url.startsWith('/admin/api/')
      ? null
      : readCookie(request.headers.cookie, SESSION_COOKIE);
    if (sessions === null || sessionId === null) {
      request.principal = await authenticateRequest(authenticator, request.headers);
      return;
    }
    const session = await sessions.resolve(sessionId);
    if (session === null) throw new GatewayError('invalid_api_key', 'Your dashboard session has ended; sign in again.');
    if (!SAFE_METHODS.has(request.method)) requireSameOriginWithToken(request, session.csrfToken);
    request.principal = session.principal;
  };
}

/** Same-origin (Fetch Metadata, else Origin) and, when a token is given, the CSRF header equal to it. */
export function requireSameOriginWithToken(request: FastifyRequest, csrfToken: string | null): void {
  if (!isSameOrigin(request)) throw new GatewayError('permission_denied', 'Cross-origin requests cannot use a dashboard session.');
  if (csrfToken !== null && request.headers[CSRF_HEADER] !== csrfToken) {
    throw new GatewayError('permission_denied', `A dashboard session needs the ${CSRF_HEADER} header for this request.`);
  }
}

function isSameOrigin(request: FastifyRequest): boolean {
  // Sec-Fetch-Site tells same-site (another port on the same host) from same-origin; SameSite
  // cookies do not, so this is what stops a page on another port of the same host.
  const site = request.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'same-origin';
  const origin = request.headers.origin;
  return typeof origin === 'string' && origin === `${request.protocol}://${request.host}`;
}

function hasKeyHeader(request: FastifyRequest): boolean {
  return request.headers.authorization !== undefined || request.headers['x-api-key'] !== undefined;
}

/** One cookie's value; a full cookie parser (and its hook on every request) is not needed for one name. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      const value = part.slice(separator + 1).trim();
      return value === '' ? null : value;
    }
  }
  return null;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number): void {
  // Secure when the browser talks https to us (directly or, with trust_proxy, through a proxy);
  // a Secure cookie over plain http would never come back.
  const secure = request.protocol === 'https' ? '; Secure' : '';
  reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure}`);
}
