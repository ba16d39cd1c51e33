import type { FastifyInstance } from 'fastify';

export interface ReadinessReport {
  ready: boolean;
  /** The gateway's health score 0–100, null while unknown (too few calls); information, never the status code. */
  score?: number | null | undefined;
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
    return reply.code(report.ready ? 200 : 503).send({
      status: report.ready ? 'ready' : 'not_ready', score: report.score ?? null, checks: report.checks,
    });
  });
}
