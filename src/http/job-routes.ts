import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GatewayError } from '../core/index.js';
import type { ContentVariant } from '../core/index.js';
import type { JobCaller, JobRecord, JobService, NewImageJob, NewVideoJob } from '../jobs/index.js';
import { LimitExceededError } from '../policies/index.js';
import { addRetryHeaders } from './answer-headers.js';
import { toOpenAIErrorBody } from './openai/to-openai-error.js';
import { parseBody } from './parse-body.js';
import { toGatewayError } from './to-gateway-error.js';
import { modelIdSchema } from './wire-limits.js';
import { retryAfterSeconds, toImagesResponse, toJobObject, toVideoObject } from './job-wire.js';

export interface JobRoutesOptions {
  jobs: JobService;
  /** The model a video request without `model` gets; null = `model` is required. */
  defaultVideoModel: string | null;
  defaultImageModel: string | null;
  /** Largest `input_reference` upload. */
  maxUploadBytes: number;
  now?: () => number;
  /** Told of every error answer (the app logs 5xx ones). */
  onError?: ((error: GatewayError, requestId: string) => void) | undefined;
}

const seconds = z.union([z.string().regex(/^\d+$/, 'a whole number of seconds'), z.int().positive()]).transform(Number);
const size = z.string().regex(/^\d{2,5}x\d{2,5}$/, 'WIDTHxHEIGHT, e.g. 1280x720');

// The model goes into log rows and the x-sluice-model header: the same bounds as the chat APIs'.
const videoBodySchema = z.object({
  prompt: z.string().min(1),
  model: modelIdSchema.optional(),
  seconds: seconds.default(4),
  size: size.default('720x1280'),
});

const imageBodySchema = z.looseObject({
  prompt: z.string().min(1),
  model: modelIdSchema.optional(),
  n: z.int().min(1).max(10).default(1),
  size: z.string().min(1).nullish(),
  quality: z.string().min(1).nullish(),
  response_format: z.enum(['b64_json', 'url']).nullish(),
  stream: z.literal(false).nullish(),
});

const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
});

const variantSchema = z.object({ variant: z.enum(['video', 'thumbnail', 'spritesheet']).default('video') });

/**
 * OpenAI-shaped jobs: `/v1/videos` (create as multipart or JSON, list, retrieve, delete,
 * download), `/v1/images/generations` (synchronous, or a 202 and a job with `Prefer:
 * respond-async`) and `/v1/jobs/{id}`. Status is served from the job store; the poller, not the
 * client's polling, decides when the provider is asked.
 */
export async function jobRoutes(app: FastifyInstance, options: JobRoutesOptions): Promise<void> {
  const { jobs } = options;
  const now = options.now ?? Date.now;
  await app.register(multipart, { limits: { fileSize: options.maxUploadBytes, files: 1, fields: 20, fieldSize: 64 * 1024 } });
  // The app's error shape, plus what a refused job says about limits: rate-limit state and when to retry.
  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error, request.id);
    options.onError?.(gatewayError, request.id);
    const headers: Record<string, string> = error instanceof LimitExceededError ? { ...error.headers } : {};
    addRetryHeaders(headers, gatewayError);
    return reply.code(gatewayError.status).headers(headers).send(toOpenAIErrorBody(gatewayError));
  });

  const answerJob = (reply: FastifyReply, job: JobRecord, body: Record<string, unknown>): FastifyReply => {
    const wait = retryAfterSeconds(job, now());
    if (wait !== null) reply.header('retry-after', String(wait));
    reply.header('x-sluice-provider', job.provider);
    return reply.send(body);
  };

  app.post('/v1/videos', async (request, reply) => {
    const input = request.isMultipart() ? await readVideoForm(request) : { ...parseBody(videoBodySchema, request.body), inputImage: undefined };
    const model = input.model ?? options.defaultVideoModel;
    if (model === null) throw new GatewayError('invalid_request', 'Missing required parameter: \'model\'.', { param: 'model' });
    const video: NewVideoJob = { model, prompt: input.prompt, seconds: input.seconds, size: input.size, inputImage: input.inputImage };
    const job = await jobs.createVideo(callerOf(request), video);
    return answerJob(reply, job, toVideoObject(job));
  });

  app.get('/v1/videos', async (request) => {
    const query = parseQuery(listQuerySchema, request.query);
    const page = await jobs.list(callerOf(request), { kind: 'video', limit: query.limit, after: query.after, order: query.order });
    return {
      object: 'list', data: page.jobs.map(toVideoObject), first_id: page.jobs[0]?.id ?? null, last_id: page.jobs.at(-1)?.id ?? null,
      has_more: page.hasMore,
    };
  });

  app.get<{ Params: { id: string } }>('/v1/videos/:id', async (request, reply) => {
    const job = await jobs.get(callerOf(request), request.params.id, 'video');
    return answerJob(reply, job, toVideoObject(job));
  });

  app.delete<{ Params: { id: string } }>('/v1/videos/:id', async (request) => {
    const job = await jobs.delete(callerOf(request), request.params.id, 'video');
    return { id: job.id, object: 'video.deleted', deleted: true };
  });

  app.get<{ Params: { id: string } }>('/v1/videos/:id/content', async (request, reply) => {
    const { variant } = parseQuery(variantSchema, request.query);
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    const content = await jobs.content(callerOf(request), request.params.id, variant satisfies ContentVariant, abort.signal);
    reply.header('content-type', content.contentType);
    if (content.length !== null) reply.header('content-length', String(content.length));
    return reply.send(Readable.from(content.body, { objectMode: false }));
  });

  app.post('/v1/images/generations', async (request, reply) => {
    const body = parseBody(imageBodySchema, request.body);
    const { prompt, model: requested, n, size: imageSize, quality, response_format: format, stream: _stream, ...extra } = body;
    const model = requested ?? options.defaultImageModel;
    if (model === null) throw new GatewayError('invalid_request', 'Missing required parameter: \'model\'.', { param: 'model' });
    const responseFormat = format ?? 'b64_json';
    const input: NewImageJob = { model, prompt, n, size: imageSize ?? null, quality: quality ?? null, responseFormat, extra };
    const caller = callerOf(request);
    if (prefersAsync(request.headers.prefer)) {
      const job = await jobs.createImageJob(caller, input);
      reply.code(202).header('location', `/v1/jobs/${job.id}`).header('preference-applied', 'respond-async');
      return answerJob(reply, job, toJobObject(job));
    }
    const abort = new AbortController();
    request.raw.once('close', () => abort.abort());
    const { job, images } = await jobs.generateImages(caller, input, abort.signal);
    reply.header('x-sluice-provider', job.provider).header('x-sluice-model', job.targetModel);
    return toImagesResponse(images.created, images.images, responseFormat, images.size);
  });

  app.get<{ Params: { id: string } }>('/v1/jobs/:id', async (request, reply) => {
    const job = await jobs.get(callerOf(request), request.params.id);
    return answerJob(reply, job, toJobObject(job));
  });
}

function callerOf(request: FastifyRequest): JobCaller {
  const principal = request.principal;
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  const webhook = request.headers['x-sluice-webhook-url'];
  return { principal, requestId: request.id, webhookUrl: typeof webhook === 'string' && webhook !== '' ? webhook : undefined };
}

/** RFC 7240: `Prefer: respond-async` (possibly among other preferences). */
function prefersAsync(header: string | string[] | undefined): boolean {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values.some((value) => value.split(',').some((preference) => preference.trim().split(/[;=]/)[0]?.trim().toLowerCase() === 'respond-async'));
}

function parseQuery<Schema extends z.ZodType>(schema: Schema, query: unknown): z.output<Schema> {
  return parseBody(schema, query ?? {});
}

/** The SDK's multipart create: text fields plus an optional `input_reference` image. */
async function readVideoForm(request: FastifyRequest): Promise<z.output<typeof videoBodySchema> & { inputImage?: NewVideoJob['inputImage'] }> {
  const fields: Record<string, string> = {};
  let inputImage: NewVideoJob['inputImage'];
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      const bytes = await part.toBuffer();
      if (part.fieldname !== 'input_reference') continue;
      if (!part.mimetype.startsWith('image/')) {
        throw new GatewayError('invalid_request', 'input_reference must be an image (jpeg, png or webp).', { param: 'input_reference' });
      }
      inputImage = { bytes, contentType: part.mimetype };
    } else if (typeof part.value === 'string') {
      fields[part.fieldname] = part.value;
    }
  }
  return { ...parseBody(videoBodySchema, fields), inputImage };
}
