import type { FastifyInstance } from 'fastify';
import type { ReadinessReport } from '../health-routes.js';
import { adminActor } from './admin-actor.js';

/**
 * GET /admin/api/health: the readiness report (score, database, Redis, each provider's circuit and
 * score) for the dashboard, which reads /admin/api only. Gateway-wide and tenant-free, so a
 * tenant admin may read it too.
 */
export async function adminHealthRoutes(app: FastifyInstance, options: { readiness: () => Promise<ReadinessReport> }): Promise<void> {
  app.get('/admin/api/health', async (request) => {
    adminActor(request);
    const report = await options.readiness();
    return { status: report.ready ? 'ready' : 'not_ready', score: report.score ?? null, checks: report.checks, checked_at: new Date().toISOString() };
  });
}
