import type { FastifyInstance } from 'fastify';

export interface ReadinessReport {
  ready: boolean;
  /** Each part's status, e.g. `database: {status: 'ok'}`; never secrets. */
  checks: Record<string, unknown>;
}

export interface HealthRoutesOptions {
  readiness: () => Promise<ReadinessReport>;
}

/** GET /health (liveness) and GET /health/ready (readiness); no key needed. */
export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/health/ready', async (_request, reply) => {
    const report = await options.readiness();
    return reply.code(report.ready ? 200 : 503).send({ status: report.ready ? 'ready' : 'not_ready', checks: report.checks });
  });
}
