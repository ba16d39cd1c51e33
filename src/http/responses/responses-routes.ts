import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { takeCacheControls } from '../../cache/index.js';
import { GatewayError } from '../../core/index.js';
import { handleChatCompletion } from '../../inference/index.js';
import type { InferenceDependencies, ResponseState } from '../../inference/index.js';
import type { Principal } from '../../policies/index.js';
import { registerInferenceRoute } from '../inference-shell.js';
import type { ShellDependencies } from '../inference-shell.js';
import { OPENAI_WIRE } from '../openai/index.js';
import { parseBody } from '../parse-body.js';
import { ChunksToResponseEvents } from './chunks-to-response-events.js';
import { convertFromResponsesRequest } from './convert-from-responses-request.js';
import { createItemIds } from './create-item-ids.js';
import { INPUT_ITEM_SCHEMAS, responsesRequestSchema } from './responses-wire.js';
import type { ResponseObject, ResponsesInputItem } from './responses-wire.js';
import { createResponseSkeleton, toResponseObject } from './to-response-object.js';
import { writeResponsesStream } from './write-responses-stream.js';

export interface ResponsesRoutesOptions {
  inference: InferenceDependencies;
  shell: ShellDependencies;
  state: ResponseState;
}

const inputItemsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().optional(),
});

/**
 * POST /v1/responses, answered by any provider: translated to a chat completion and sent
 * through the same shell and use case, so it is routed, limited, priced and logged like one
 * (endpoint `responses`). The response is stored before the client sees it end.
 */
export async function responsesRoutes(app: FastifyInstance, options: ResponsesRoutesOptions): Promise<void> {
  const { inference, shell, state } = options;
  const nowSeconds = (): number => Math.floor(inference.clock.now() / 1000);

  registerInferenceRoute(app, shell, {
    url: '/v1/responses',
    endpoint: 'responses',
    wire: OPENAI_WIRE,
    parse: (body) => parseBody(responsesRequestSchema, body),
    endUserOf: (body) => body.safety_identifier ?? body.user,
    async run(lifecycle, parsed, request) {
      // The cache headers and LiteLLM's `cache` field are Sluice's, as on chat completions: never sent upstream.
      const { body, controls } = takeCacheControls(request.headers, parsed, inference.cache?.clientControls ?? false);
      const principal = lifecycle.principal;
      if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
      let history: ResponsesInputItem[] = [];
      if (body.previous_response_id !== undefined && body.previous_response_id !== null) {
        const previous = await state.get(body.previous_response_id, principal, 'previous_response_id');
        history = readStoredItems([...previous.inputItems, ...readOutput(previous.response)]);
      }
      const ids = createItemIds();
      const { request: chatRequest, inputItems } = convertFromResponsesRequest(body, history, ids);
      const store = state.enabled && body.store !== false;
      const skeleton = createResponseSkeleton(body, { id: ids('resp'), createdAt: nowSeconds(), store });
      const save = async (response: ResponseObject): Promise<void> => {
        if (store) await state.save({ id: response.id, principal, response: toJson(response), inputItems: [...history, ...inputItems].map(toJson) });
      };
      // The body's metadata is logged with the request; the header's wins on a clash.
      if (body.metadata !== undefined && body.metadata !== null) lifecycle.metadata = { ...body.metadata, ...lifecycle.metadata };
      // Cached like a chat completion, keyed on the canonical request under its own endpoint; a hit
      // (stored from a JSON or a streamed answer) is replayed in the mode this caller asked for.
      const outcome = await handleChatCompletion(inference, lifecycle, chatRequest, { cacheControls: controls, cacheEndpoint: 'responses' });
      if (outcome.kind === 'completion') {
        const { result } = outcome;
        const response = toResponseObject(result.readCompletion(), skeleton, ids, nowSeconds());
        await save(response);
        return { kind: 'json', body: JSON.stringify(response), staticFallback: result.staticFallback !== undefined };
      }
      return {
        kind: 'stream',
        stream: outcome.stream,
        write: (response, first, rest, writeOptions) => writeResponsesStream(response, first, rest, {
          ...writeOptions, translator: new ChunksToResponseEvents(skeleton, ids), nowSeconds, save,
        }),
      };
    },
  });
}

/** GET and DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items, from the store. */
export async function storedResponseRoutes(app: FastifyInstance, options: { state: ResponseState }): Promise<void> {
  const { state } = options;
  app.get<{ Params: { id: string } }>('/v1/responses/:id', async (request, reply) => {
    const record = await state.get(request.params.id, requirePrincipal(request));
    return reply.type('application/json').send(JSON.stringify(record.response));
  });

  app.delete<{ Params: { id: string } }>('/v1/responses/:id', async (request) => {
    await state.delete(request.params.id, requirePrincipal(request));
    return { id: request.params.id, object: 'response', deleted: true };
  });

  app.get<{ Params: { id: string } }>('/v1/responses/:id/input_items', async (request) => {
    const record = await state.get(request.params.id, requirePrincipal(request));
    const query = parseBody(inputItemsQuery, request.query ?? {});
    const ordered = query.order === 'asc' ? record.inputItems : [...record.inputItems].reverse();
    const start = query.after === undefined ? 0 : ordered.findIndex((item) => item.id === query.after) + 1;
    const data = ordered.slice(start, start + query.limit);
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: start + query.limit < ordered.length,
    };
  });
}

function requirePrincipal(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  return principal;
}

function readOutput(response: Record<string, unknown>): Array<Record<string, unknown>> {
  return Array.isArray(response.output) ? response.output.filter(isRecord) : [];
}

/** Stored items are parsed like any other input (DB rows are checked at the edge too). */
function readStoredItems(items: ReadonlyArray<Record<string, unknown>>): ResponsesInputItem[] {
  return items.map((item) => {
    const schema = INPUT_ITEM_SCHEMAS.get(typeof item.type === 'string' ? item.type : undefined);
    const parsed = schema?.safeParse(item);
    if (parsed === undefined || !parsed.success) throw new Error(`a stored response item of type ${String(item.type)} is unreadable`);
    return parsed.data;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Wire objects as the plain JSON records the store keeps. */
function toJson(value: object): Record<string, unknown> {
  return { ...value };
}

