import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../../core/index.js';
import { experimentCreateSchema, experimentStopSchema, experimentUpdateSchema } from '../../services/index.js';
import type { Actor, ExperimentService } from '../../services/index.js';
import type { ExperimentEvent, ExperimentRecord, ExperimentVariant } from '../../services/index.js';
import { parseBody } from '../parse-body.js';
import { parseQuery } from './analytics-query.js';

const resultsQuerySchema = z.object({ phase: z.coerce.number().int().positive().optional() });

type NameParams = { Params: { name: string } };

/**
 * `/admin/api/experiments`: definitions, the lifecycle (start, pause, resume, stop), the audit
 * trail and results. Experiments are gateway-wide (they change what every caller of a target
 * gets), so they need the master key.
 */
export async function adminExperimentRoutes(app: FastifyInstance, options: { experiments: ExperimentService }): Promise<void> {
  const experiments = options.experiments;
  app.addHook('onRequest', async (request) => {
    if (request.url.startsWith('/admin/api/experiments')) actorOf(request);
  });

  app.get('/admin/api/experiments', async () => ({ data: (await experiments.list()).map(toWireExperiment), next_cursor: null }));

  app.post('/admin/api/experiments', async (request, reply) => {
    const created = await experiments.create(parseBody(experimentCreateSchema, request.body), actorOf(request));
    return reply.code(201).send(toWireExperiment(created));
  });

  app.get<NameParams>('/admin/api/experiments/:name', async (request) => toWireExperiment(await experiments.get(request.params.name)));

  app.patch<NameParams>('/admin/api/experiments/:name', async (request) => {
    return toWireExperiment(await experiments.update(request.params.name, parseBody(experimentUpdateSchema, request.body), actorOf(request)));
  });

  app.delete<NameParams>('/admin/api/experiments/:name', async (request, reply) => {
    await experiments.delete(request.params.name);
    return reply.code(204).send();
  });

  app.post<NameParams>('/admin/api/experiments/:name/start', async (request) => toWireExperiment(await experiments.startExperiment(request.params.name, actorOf(request))));
  app.post<NameParams>('/admin/api/experiments/:name/pause', async (request) => toWireExperiment(await experiments.pause(request.params.name, actorOf(request))));
  app.post<NameParams>('/admin/api/experiments/:name/resume', async (request) => toWireExperiment(await experiments.resume(request.params.name, actorOf(request))));
  app.post<NameParams>('/admin/api/experiments/:name/stop', async (request) => {
    const body = parseBody(experimentStopSchema, request.body ?? {});
    return toWireExperiment(await experiments.stopExperiment(request.params.name, body, actorOf(request)));
  });

  app.get<NameParams>('/admin/api/experiments/:name/results', async (request) => {
    const query = parseQuery(resultsQuerySchema, request.query);
    return experiments.results(request.params.name, query.phase);
  });

  app.get<NameParams>('/admin/api/experiments/:name/history', async (request) => {
    const [events, phases] = await Promise.all([experiments.events(request.params.name), experiments.phases(request.params.name)]);
    return {
      events: events.map(toWireEvent),
      phases: phases.map((phase) => ({ phase: phase.phase, started_at: iso(phase.startedAt), variants: phase.variants.map(toWireVariant) })),
    };
  });
}

function actorOf(request: FastifyRequest): Actor {
  const principal = request.principal;
  if (principal?.role !== 'admin') throw new GatewayError('permission_denied', 'Experiments are gateway-wide: they need the master key.');
  return { label: principal.label };
}

export function toWireExperiment(record: ExperimentRecord): Record<string, unknown> {
  return {
    name: record.name,
    description: record.description,
    target: { [record.targetKind]: record.targetName },
    unit: record.unit,
    variants: record.variants.map(toWireVariant),
    primary_metric: record.primaryMetric,
    guardrails: record.guardrails,
    min_samples_per_variant: record.minSamplesPerVariant,
    confidence: record.confidence,
    status: record.status,
    phase: record.phase,
    source: record.source,
    winner: record.winner,
    created_at: iso(record.createdAt),
    updated_at: iso(record.updatedAt),
    started_at: record.startedAt === null ? null : iso(record.startedAt),
    stopped_at: record.stoppedAt === null ? null : iso(record.stoppedAt),
  };
}

function toWireVariant(variant: ExperimentVariant): Record<string, unknown> {
  const wire: Record<string, unknown> = { name: variant.name, weight: variant.weight };
  if (variant.model !== undefined) wire.model = variant.model;
  if (variant.promptVersion !== undefined) wire.prompt_version = variant.promptVersion;
  if (variant.params !== undefined) wire.params = variant.params;
  return wire;
}

function toWireEvent(event: ExperimentEvent): Record<string, unknown> {
  return { type: event.type, at: iso(event.at), actor: event.actor, phase: event.phase, details: event.details };
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
