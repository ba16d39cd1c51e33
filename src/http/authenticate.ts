import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../core/index.js';
import type { Authenticator } from '../policies/index.js';

/** Reads the key from `Authorization: Bearer …` or `x-api-key` and resolves its principal. */
export function createAuthenticateHook(authenticator: Authenticator) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const secret = readKey(request);
    if (secret === null) {
      throw new GatewayError('missing_api_key', 'You did not provide an API key. Send it as "Authorization: Bearer <key>" or "x-api-key".');
    }
    const principal = await authenticator.authenticate(secret);
    if (principal === null) throw new GatewayError('invalid_api_key', 'Incorrect API key provided.');
    request.principal = principal;
  };
}

function readKey(request: FastifyRequest): string | null {
  const authorization = request.headers.authorization;
  if (authorization !== undefined && authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === 'bearer ') {
    const token = authorization.slice(7).trim();
    if (token !== '') return token;
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  return null;
}
