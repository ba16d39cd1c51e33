import { GatewayError } from '../core/index.js';
import type { Principal } from './principal.js';

/**
 * The tenant an admin query must be limited to: undefined (every tenant) for the master key, the
 * caller's own tenant for a tenant admin; anyone else may not use the admin API at all. Every
 * admin and analytics route (keys, logs, usage) filters by this.
 */
export function adminScope(principal: Principal): { tenantId: string | undefined } {
  if (principal.role === 'admin') return { tenantId: undefined };
  if (principal.role === 'tenant_admin' && principal.tenantId !== null) return { tenantId: principal.tenantId };
  throw new GatewayError('permission_denied', 'The admin API needs the master key or a tenant admin key.');
}
