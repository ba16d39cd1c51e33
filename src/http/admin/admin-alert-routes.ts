import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/index.js';

/** What the alert routes need from the alerting subsystem. */
export interface AlertsAdmin {
  snapshot(): unknown;
  sendTest(): Promise<number>;
}

/** GET /admin/api/alerts (rules, channels, state, history) and POST /admin/api/alerts/test; master key only. */
export async function adminAlertRoutes(app: FastifyInstance, options: { alerts: AlertsAdmin | null }): Promise<void> {
  const empty = { rules: [], channels: [], active: [], history: [] };
  app.get('/admin/api/alerts', async (request) => {
    requireMasterKey(request);
    return options.alerts?.snapshot() ?? empty;
  });
  app.post('/admin/api/alerts/test', async (request, reply) => {
    requireMasterKey(request);
    if (options.alerts === null) throw new GatewayError('invalid_request', 'No alert channels are configured (alerts.channels).');
    const queued = await options.alerts.sendTest();
    return reply.code(202).send({ queued });
  });
}

function requireMasterKey(request: FastifyRequest): void {
  if (request.principal?.role !== 'admin') {
    throw new GatewayError('permission_denied', 'Alerts are gateway-wide: they need the master key.');
  }
}
