import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../core/index.js';
import type { CapUse } from '../../policies/index.js';

/** One cap's use as the admin API and /health/ready show it. */
export interface WireCapUse {
  scope: CapUse['scope'];
  subject: string;
  cap: CapUse['cap'];
  limit: number;
  used: number;
  remaining: number;
  /** used / limit, 0..1 (above 1 only if a settlement passed a reservation). */
  fraction: number;
  period: string | null;
  resets_at: string;
}

export function toWireCapUse(use: CapUse): WireCapUse {
  return {
    scope: use.scope,
    subject: use.subject,
    cap: use.cap,
    limit: use.limit,
    used: use.used,
    remaining: Math.max(0, use.limit - use.used),
    fraction: use.limit === 0 ? 0 : use.used / use.limit,
    period: use.period,
    resets_at: new Date(use.resetsAt).toISOString(),
  };
}

/** GET /admin/api/caps: every provider, model and target cap with its use and next reset; master key only. */
export async function adminCapRoutes(app: FastifyInstance, options: { caps: () => Promise<CapUse[]> }): Promise<void> {
  app.get('/admin/api/caps', async (request) => {
    if (request.principal?.role !== 'admin') {
      throw new GatewayError('permission_denied', 'Provider and model caps are gateway-wide: they need the master key.');
    }
    const uses = await options.caps();
    return { data: uses.map(toWireCapUse), next_cursor: null };
  });
}
