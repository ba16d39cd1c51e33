import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/index.js';
import { adminScope } from '../../policies/index.js';
import type { Principal } from '../../policies/index.js';

/** The caller of an admin route: the master key or a tenant admin, else 401/403. */
export function adminActor(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  adminScope(principal);
  return principal;
}
