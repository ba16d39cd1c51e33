import type { FastifyInstance } from 'fastify';
import { takeCacheControls } from '../../cache/index.js';
import { GatewayError } from '../../core/index.js';
import { handleChatCompletion, handleEmbeddings } from '../../inference/index.js';
import type { InferenceDependencies } from '../../inference/index.js';
import type { ModelRegistry } from '../../routing/index.js';
import { registerInferenceRoute } from '../inference-shell.js';
import type { ShellDependencies } from '../inference-shell.js';
import { parseBody } from '../parse-body.js';
import { chatRequestSchema, embeddingsRequestSchema } from './chat-completion-wire.js';
import { OPENAI_WIRE } from './openai-wire-format.js';
import { writeOpenAIStream } from './write-openai-stream.js';

export interface OpenAIRoutesOptions {
  inference: InferenceDependencies;
  shell: ShellDependencies;
  models: ModelRegistry;
  /** Unix seconds reported as `created` in the models list. */
  startedAt: number;
}

/** The OpenAI-compatible inference API: /v1/chat/completions and /v1/embeddings. */
export async function openaiRoutes(app: FastifyInstance, options: OpenAIRoutesOptions): Promise<void> {
  const { inference, shell } = options;

  registerInferenceRoute(app, shell, {
    url: '/v1/chat/completions',
    endpoint: 'chat.completions',
    wire: OPENAI_WIRE,
    parse: (body) => parseBody(chatRequestSchema, body),
    endUserOf: (body) => body.user,
    async run(lifecycle, parsed, request) {
      const { body, controls } = takeCacheControls(request.headers, parsed, inference.cache?.clientControls ?? false);
      const outcome = await handleChatCompletion(inference, lifecycle, body, { cacheControls: controls });
      if (outcome.kind === 'completion') {
        const { result } = outcome;
        return { kind: 'json', body: result.body ?? JSON.stringify(result.readCompletion()), staticFallback: result.staticFallback !== undefined };
      }
      const includeUsage = body.stream_options?.include_usage === true;
      return {
        kind: 'stream',
        stream: outcome.stream,
        write: (response, first, rest, writeOptions) => writeOpenAIStream(response, first, rest, { ...writeOptions, includeUsage }),
      };
    },
  });

  registerInferenceRoute(app, shell, {
    url: '/v1/embeddings',
    endpoint: 'embeddings',
    wire: OPENAI_WIRE,
    parse: (body) => parseBody(embeddingsRequestSchema, body),
    endUserOf: (body) => body.user,
    async run(lifecycle, parsed, request) {
      const { body, controls } = takeCacheControls(request.headers, parsed, inference.cache?.clientControls ?? false);
      const result = await handleEmbeddings(inference, lifecycle, body, controls);
      return { kind: 'json', body: result.body ?? JSON.stringify(result.response), staticFallback: false };
    },
  });
}

/** GET /v1/models and /v1/models/{id}: what the caller's key may use. */
export async function modelListRoutes(app: FastifyInstance, options: Pick<OpenAIRoutesOptions, 'models' | 'startedAt'>): Promise<void> {
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
