import type { FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/index.js';
import type { Authenticator, Principal } from '../policies/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authenticate hook on admin and model-list routes; inference routes use their lifecycle. */
    principal: Principal | null;
  }
}

/** Resolves the key sent as `Authorization: Bearer …` or `x-api-key` to its principal, or throws 401. */
export async function authenticateRequest(authenticator: Authenticator, headers: IncomingHttpHeaders): Promise<Principal> {
  const secret = readKey(headers);
  if (secret === null) {
    throw new GatewayError('missing_api_key', 'You did not provide an API key. Send it as "Authorization: Bearer <key>" or "x-api-key".');
  }
  const principal = await authenticator.authenticate(secret);
  if (principal === null) throw new GatewayError('invalid_api_key', 'Incorrect API key provided.');
  return principal;
}

/** An onRequest hook for routes outside the inference shell (admin API, model list). */
export function createAuthenticateHook(authenticator: Authenticator) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    request.principal = await authenticateRequest(authenticator, request.headers);
  };
}

function readKey(headers: IncomingHttpHeaders): string | null {
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ') {
    const token = authorization.slice(7).trim();
    if (token !== '') return token;
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  return null;
}
