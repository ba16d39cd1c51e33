import type { FastifyInstance } from 'fastify';

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

/** GET /metrics: Prometheus text, no key needed. */
export async function metricsRoutes(app: FastifyInstance, options: { metrics: MetricsSource }): Promise<void> {
  app.get('/metrics', async (_request, reply) => reply.type(options.metrics.contentType).send(await options.metrics.render()));
}
