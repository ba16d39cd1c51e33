import type { Principal } from './principal.js';

/**
 * Whether `x-sluice-variant` may pin this caller's experiment variant: admins (the master key and
 * tenant admins) and keys holding `experiments:pin`. A pin from anyone else would let a client
 * choose its own arm and bias the results, so the header is then ignored.
 */
export function mayPinVariant(principal: Principal | null): boolean {
  if (principal === null) return false;
  if (principal.role === 'admin' || principal.role === 'tenant_admin') return true;
  return principal.permissions?.includes('experiments:pin') === true;
}
