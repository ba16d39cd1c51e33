import type { FastifyInstance, FastifyRequest } from 'fastify';
import { takeCacheControls } from '../../cache/index.js';
import { GatewayError } from '../../core/index.js';
import { handleChatCompletion, handleEmbeddings, hasHealingPlugin, wantsJsonHealing } from '../../inference/index.js';
import type { InferenceDependencies } from '../../inference/index.js';
import type { ModelInfo, ModelRegistry } from '../../routing/index.js';
import { ANTHROPIC_WIRE } from '../anthropic/index.js';
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
    prompts: 'openai',
    parse: (body) => parseBody(chatRequestSchema, body),
    endUserOf: (body) => body.user,
    async run(lifecycle, parsed, request) {
      // OpenRouter's plugin is Sluice's to honour, not the upstream's: it never goes upstream.
      const plugins = parsed['plugins'];
      const healJson = wantsJsonHealing(request.headers['x-sluice-json-repair'], plugins) && parsed.stream !== true;
      const unplugged = plugins !== undefined && hasHealingPlugin(plugins) ? withoutPlugins(parsed) : parsed;
      // LiteLLM's `cache` field and the cache headers are Sluice's too: taken off before the key and the upstream call.
      const { body, controls } = takeCacheControls(request.headers, unplugged, inference.cache?.clientControls ?? false);
      const outcome = await handleChatCompletion(inference, lifecycle, body, { healJson, cacheControls: controls });
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

/**
 * GET /v1/models and /v1/models/{id}: what the caller's key may use, in OpenAI's shape, or in
 * Anthropic's when the request carries `anthropic-version` (the Anthropic SDK always sends it).
 */
export async function modelListRoutes(app: FastifyInstance, options: Pick<OpenAIRoutesOptions, 'models' | 'startedAt'>): Promise<void> {
  const createdAt = new Date(options.startedAt * 1000).toISOString();
  const anthropicModel = (model: ModelInfo) => ({ type: 'model', id: model.id, display_name: model.id, created_at: createdAt });
  const openaiModel = (model: ModelInfo) => ({ id: model.id, object: 'model', created: options.startedAt, owned_by: model.ownedBy });

  app.get('/v1/models', async (request) => {
    const models = visibleModels(options.models, request.principal?.allowedModels ?? null);
    if (!isAnthropicClient(request)) return { object: 'list', data: models.map(openaiModel) };
    return {
      data: models.map(anthropicModel), has_more: false, first_id: models[0]?.id ?? null, last_id: models[models.length - 1]?.id ?? null,
    };
  });

  app.get<{ Params: { '*': string } }>('/v1/models/*', async (request, reply) => {
    const model = request.params['*'];
    const found = visibleModels(options.models, request.principal?.allowedModels ?? null).find((item) => item.id === model);
    const anthropic = isAnthropicClient(request);
    if (found === undefined) {
      const error = new GatewayError('model_not_found', `The model \`${model}\` does not exist.`, { param: 'model' });
      if (!anthropic) throw error;
      return reply.code(404).headers(ANTHROPIC_WIRE.ownHeaders(request.id)).send(ANTHROPIC_WIRE.errorBody(error, request.id));
    }
    return anthropic ? anthropicModel(found) : openaiModel(found);
  });
}

function isAnthropicClient(request: FastifyRequest): boolean {
  return request.headers['anthropic-version'] !== undefined;
}

/** The models a caller may use: all, or those on its key's allow-list. */
function visibleModels(models: ModelRegistry, allowed: readonly string[] | null): ReturnType<ModelRegistry['list']> {
  const all = models.list();
  return allowed === null ? all : all.filter((model) => allowed.includes(model.id));
}

/** The body without `plugins` (copied only for the rare request that has them). */
function withoutPlugins<Body extends Record<string, unknown>>(body: Body): Body {
  const copy = { ...body };
  delete copy['plugins'];
  return copy;
}
