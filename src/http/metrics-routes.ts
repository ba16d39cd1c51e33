import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

export interface MetricsRoutesOptions {
  metrics: MetricsSource;
  /** Set with `metrics.require_auth`: the scrape needs a key (the master key or a virtual key). */
  authenticate: ((request: FastifyRequest) => Promise<void>) | null;
}

/** GET /metrics: Prometheus text; no key needed unless `metrics.require_auth`. */
export async function metricsRoutes(app: FastifyInstance, options: MetricsRoutesOptions): Promise<void> {
  const onRequest = options.authenticate === null ? [] : [options.authenticate];
  app.get('/metrics', { onRequest }, async (_request, reply) => reply.type(options.metrics.contentType).send(await options.metrics.render()));
}
