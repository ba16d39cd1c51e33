import { GatewayError } from '../../core/index.js';
import type { Principal } from '../../policies/index.js';
import type { LogScope } from '../../storage/index.js';

/**
 * The one place an admin caller's principal becomes the scope of its log and analytics queries:
 * the master key sees everything, a tenant admin only its tenant, a client key nothing.
 */
export function scopeFor(principal: Principal | null): LogScope {
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  if (principal.role === 'admin') return {};
  if (principal.role === 'tenant_admin' && principal.tenantId !== null) return { tenantId: principal.tenantId };
  throw new GatewayError('permission_denied', 'This key may not use the admin API.');
}
