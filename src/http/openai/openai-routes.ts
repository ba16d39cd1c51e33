import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/index.js';
import type { AttemptRecord, ChatRequest } from '../../core/index.js';
import { handleChatCompletion, handleEmbeddings } from '../../inference/index.js';
import type { InferenceDependencies, RequestContext } from '../../inference/index.js';
import { LimitExceededError } from '../../policies/index.js';
import { attemptHeaders, exhaustedRetryHeaders } from '../attempt-headers.js';
import type { ModelRegistry } from '../../routing/index.js';
import { parseBody } from '../parse-body.js';
import { createRequestContext } from '../request-context.js';
import { retryHeaders, toGatewayError } from '../to-gateway-error.js';
import { chatRequestSchema, embeddingsRequestSchema } from './chat-completion-wire.js';
import { toOpenAIErrorBody } from './to-openai-error.js';
import { writeOpenAIStream } from './write-openai-stream.js';

export interface OpenAIRoutesOptions {
  inference: InferenceDependencies;
  models: ModelRegistry;
  /** Unix seconds reported as `created` in the models list. */
  startedAt: number;
  onError: (error: GatewayError, requestId: string) => void;
}

/** The OpenAI-compatible API: /v1/chat/completions, /v1/embeddings, /v1/models. */
export async function openaiRoutes(app: FastifyInstance, options: OpenAIRoutesOptions): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error, request.id);
    request.gatewayError = gatewayError;
    options.onError(gatewayError, request.id);
    if (gatewayError instanceof LimitExceededError) reply.headers(gatewayError.headers);
    reply.code(gatewayError.status).headers({ ...retryHeaders(gatewayError), ...exhaustedRetryHeaders(gatewayError) })
      .send(toOpenAIErrorBody(gatewayError));
  });

  app.post('/v1/chat/completions', async (request, reply) => {
    const body = parseBody(chatRequestSchema, request.body);
    const attempts: AttemptRecord[] = [];
    const context = { ...createRequestContext(request, reply, 'chat.completions', body.user), attempts };
    try {
      return await chatCompletion(request, reply, body, context);
    } catch (error) {
      // Failed answers carry the attempt trail too.
      reply.headers(attemptHeaders(attempts));
      throw error;
    }
  });

  async function chatCompletion(
    request: FastifyRequest, reply: FastifyReply, body: ChatRequest, context: RequestContext,
  ): Promise<FastifyReply> {
    const outcome = await handleChatCompletion(options.inference, body, context);
    reply.headers(outcome.rateLimitHeaders);
    if (outcome.kind === 'completion') {
      const { result } = outcome;
      setRouteHeaders(reply, result.provider, result.model, outcome.attempts);
      if (result.staticFallback !== undefined) reply.header('x-sluice-fallback', 'static');
      return reply.type('application/json').send(result.body ?? JSON.stringify(result.completion));
    }
    const { stream } = outcome;
    const iterator = stream.chunks[Symbol.asyncIterator]();
    // Pull the first chunk before committing to a 200, so an early failure still gets a JSON error.
    // Routes hold frames back until content (the stream commit point), so this is the first content.
    const first = await iterator.next();
    // The use case already turns an empty stream into an error; this only narrows the type.
    if (first.done === true) throw new GatewayError('provider_error', `${stream.provider} ended the stream without output`);
    setRouteHeaders(reply, stream.provider, stream.model, outcome.attempts);
    if (stream.staticFallback !== undefined) reply.header('x-sluice-fallback', 'static');
    reply.hijack();
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    await writeOpenAIStream(reply.raw, first.value, iterator, {
      includeUsage: body.stream_options?.include_usage === true,
      requestId: request.id,
      onError: (error) => options.onError(toGatewayError(error, request.id), request.id),
    });
    return reply;
  }

  app.post('/v1/embeddings', async (request, reply) => {
    const body = parseBody(embeddingsRequestSchema, request.body);
    const attempts: AttemptRecord[] = [];
    const context = { ...createRequestContext(request, reply, 'embeddings', body.user), attempts };
    let outcome: Awaited<ReturnType<typeof handleEmbeddings>>;
    try {
      outcome = await handleEmbeddings(options.inference, body, context);
    } catch (error) {
      reply.headers(attemptHeaders(attempts));
      throw error;
    }
    const { result } = outcome;
    reply.headers(outcome.rateLimitHeaders);
    setRouteHeaders(reply, result.provider, result.model, attempts);
    return reply.type('application/json').send(result.body ?? JSON.stringify(result.response));
  });

  app.get('/v1/models', async (request) => ({
    object: 'list',
    data: visibleModels(options.models, request.principal?.allowedModels ?? null).map((model) => ({
      id: model.id, object: 'model', created: options.startedAt, owned_by: model.ownedBy,
    })),
  }));

  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request) => {
    const model = request.params['*'];
    const found = visibleModels(options.models, request.principal?.allowedModels ?? null).find((item) => item.id === model);
    if (found === undefined) throw new GatewayError('model_not_found', `The model \`${model}\` does not exist.`, { param: 'model' });
    return { id: found.id, object: 'model', created: options.startedAt, owned_by: found.ownedBy };
  });
}

/** The models a caller may use: all, or those on its key's allow-list. */
function visibleModels(models: ModelRegistry, allowed: readonly string[] | null): ReturnType<ModelRegistry['list']> {
  const all = models.list();
  return allowed === null ? all : all.filter((model) => allowed.includes(model.id));
}

function setRouteHeaders(reply: FastifyReply, provider: string, model: string, attempts: AttemptRecord[]): void {
  reply.header('x-sluice-provider', provider);
  reply.header('x-sluice-model', model);
  reply.headers(attemptHeaders(attempts));
}
