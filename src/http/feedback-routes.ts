import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../core/index.js';
import { feedbackSchema } from '../services/index.js';
import type { ExperimentService } from '../services/index.js';
import { parseBody } from './parse-body.js';

/**
 * POST /v1/feedback `{request_id, metric, value}`: a quality score for an earlier request (a thumbs
 * up as 1 or 0, a task-success score), which experiments can use as their primary metric
 * (`feedback:<metric>`). Accepted from the key that made the request, or an admin.
 */
export async function feedbackRoutes(app: FastifyInstance, options: { experiments: ExperimentService }): Promise<void> {
  app.post('/v1/feedback', async (request, reply) => {
    const principal = request.principal;
    if (principal === null) throw new GatewayError('missing_api_key', 'You didn\'t provide an API key.');
    const input = parseBody(feedbackSchema, request.body);
    await options.experiments.recordFeedback(principal, input);
    return reply.code(201).send({ request_id: input.request_id, metric: input.metric, value: input.value });
  });
}
