import { GatewayError, ProviderError, convertWireUsage } from '../../core/index.js';
import type {
  CallContext, ChatRequest, ChatResult, ChatStream, EmbeddingsResult, IngressRequest, Provider, StreamChunk,
} from '../../core/index.js';
import { parseJsonOrUndefined, readSseEvents } from '../../lib/index.js';
import { UpstreamClient } from '../upstream/index.js';
import type { UpstreamResponse } from '../upstream/index.js';
import { anthropicMessageSchema, anthropicStreamEventSchema, tokenCountSchema } from './anthropic-api.js';
import { isRetryableAnthropicErrorType, readAnthropicErrorBody } from './anthropic-errors.js';
import { AnthropicStreamToChunks } from './anthropic-stream-to-chunks.js';
import { convertAnthropicMessage } from './convert-anthropic-message.js';
import { convertToAnthropicMessages, isAnthropicVersion2026 } from './convert-to-anthropic-messages.js';

export interface AnthropicProviderSettings {
  name: string;
  /** The vendor root, e.g. https://api.anthropic.com; Sluice appends /v1/messages. */
  baseUrl: string;
  apiKey?: string | undefined;
  headers?: Record<string, string>;
  /** The `anthropic-version` sent upstream; 2023-06-01 unless configured. */
  version?: string | undefined;
  /** max_tokens when the client sent none; unset picks a model-aware default. */
  defaultMaxTokens?: number | undefined;
  timeoutMs: number;
  maxConnections: number;
  /** Epoch milliseconds, for `created`; injectable for tests. */
  now?: () => number;
}

const KNOWN_EVENTS = new Set(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'ping', 'error']);
const SAMPLING_FIELDS_REMOVED_IN_2026 = ['temperature', 'top_p', 'top_k'];

/**
 * An Anthropic Messages upstream. OpenAI-shaped requests are translated; a request that came in
 * through /v1/messages (context.ingress) goes out nearly as sent, and its answer comes back both
 * translated (for usage, logs, routing) and as the upstream's own bytes and events (`native`).
 */
export function createAnthropicProvider(settings: AnthropicProviderSettings): Provider & { close(): Promise<void> } {
  const version = settings.version ?? '2023-06-01';
  const now = settings.now ?? Date.now;
  const client = new UpstreamClient({
    provider: settings.name,
    baseUrl: settings.baseUrl,
    headers: {
      ...(settings.apiKey ? { 'x-api-key': settings.apiKey } : {}),
      'anthropic-version': version,
      ...settings.headers,
    },
    timeoutMs: settings.timeoutMs,
    maxConnections: settings.maxConnections,
  });

  interface Prepared {
    body: string;
    headers: Record<string, string>;
    jsonTool: string | null;
    passThrough: boolean;
  }

  function prepare(request: ChatRequest, stream: boolean, context: CallContext): Prepared {
    const ingress = context.ingress;
    if (ingress !== undefined && ingress.format === 'anthropic') {
      return { body: passThroughBody(ingress, request.model, stream), headers: { ...ingress.headers }, jsonTool: null, passThrough: true };
    }
    const { body, jsonTool } = convertToAnthropicMessages(request, { version, defaultMaxTokens: settings.defaultMaxTokens ?? null });
    return { body: JSON.stringify(stream ? { ...body, stream: true } : body), headers: {}, jsonTool, passThrough: false };
  }

  function passThroughBody(ingress: IngressRequest, model: string, stream: boolean): string {
    const body: Record<string, unknown> = { ...ingress.body, model, stream };
    if (isAnthropicVersion2026(version)) for (const field of SAMPLING_FIELDS_REMOVED_IN_2026) delete body[field];
    return JSON.stringify(body);
  }

  function post(prepared: Prepared, stream: boolean, context: CallContext): Promise<UpstreamResponse> {
    return client.postJson({ path: '/v1/messages', headers: prepared.headers, body: prepared.body, stream }, context, readAnthropicErrorBody);
  }

  return {
    name: settings.name,

    async countTokens(request: ChatRequest, context: CallContext): Promise<number> {
      const prepared = prepare(request, false, context);
      // The counting endpoint takes the message fields only: no output cap, no streaming.
      const { max_tokens: _max, stream: _stream, ...counted } = JSON.parse(prepared.body) as Record<string, unknown>;
      const response = await client.postJson({
        path: '/v1/messages/count_tokens', headers: prepared.headers, body: JSON.stringify(counted), stream: false,
      }, context, readAnthropicErrorBody);
      const parsed = tokenCountSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
      if (!parsed.success) throw client.invalidResponse('token count');
      return parsed.data.input_tokens;
    },

    async chat(request: ChatRequest, context: CallContext): Promise<ChatResult> {
      const prepared = prepare(request, false, context);
      const response = await post(prepared, false, context);
      const body = await client.readBytes(response, context);
      const parsed = anthropicMessageSchema.safeParse(parseJsonOrUndefined(body.toString('utf8')));
      if (!parsed.success) throw client.invalidResponse('message');
      const completion = convertAnthropicMessage(parsed.data, { jsonTool: prepared.jsonTool, now: now() });
      return {
        readCompletion: () => completion,
        ...(prepared.passThrough ? { native: { format: 'anthropic' as const, body } } : {}),
        usage: completion.usage ? convertWireUsage(completion.usage) : null,
        provider: settings.name,
        model: request.model,
      };
    },

    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      const prepared = prepare(request, true, context);
      const response = await post(prepared, true, context);
      const transform = new AnthropicStreamToChunks({ model: request.model, now: now(), jsonTool: prepared.jsonTool });
      return { provider: settings.name, model: request.model, chunks: readChunks(response, transform, prepared.passThrough, context) };
    },

    async embed(): Promise<EmbeddingsResult> {
      throw new GatewayError('invalid_request', `${settings.name} is an Anthropic provider; Anthropic has no embeddings API.`, { param: 'model' });
    },

    close: () => client.close(),
  };

  async function* readChunks(
    response: UpstreamResponse,
    transform: AnthropicStreamToChunks,
    native: boolean,
    context: CallContext,
  ): AsyncGenerator<StreamChunk> {
    let finished = false;
    try {
      for await (const event of readSseEvents(response.body)) {
        const json = parseJsonOrUndefined(event.data);
        const type = json !== null && typeof json === 'object' && 'type' in json && typeof json.type === 'string' ? json.type : event.event;
        if (type === undefined) throw client.invalidResponse('stream event');
        if (!KNOWN_EVENTS.has(type)) {
          // A newer event type: nothing to translate, but a native client still gets it.
          if (native) yield { chunk: transform.emptyChunk(), native: { format: 'anthropic', event: event.event ?? type, data: event.data } };
          continue;
        }
        const parsed = anthropicStreamEventSchema.safeParse(json);
        if (!parsed.success) throw client.invalidResponse(`${type} event`);
        const streamEvent = parsed.data;
        if (streamEvent.type === 'error') {
          throw new ProviderError('provider_error', `${settings.name}: ${client.redact(streamEvent.error.message)}`, {
            provider: settings.name, upstreamStatus: 200, retryable: isRetryableAnthropicErrorType(streamEvent.error.type),
          });
        }
        const chunks = transform.push(streamEvent);
        if (native) {
          const [first, ...rest] = chunks;
          yield { chunk: first ?? transform.emptyChunk(), native: { format: 'anthropic', event: event.event ?? type, data: event.data } };
          for (const chunk of rest) yield { chunk };
        } else {
          for (const chunk of chunks) yield { chunk };
        }
        if (streamEvent.type === 'message_stop') break;
      }
      if (!transform.complete) {
        throw new ProviderError('provider_error', `${settings.name} ended the stream before message_stop`, {
          provider: settings.name, upstreamStatus: 200, retryable: true,
        });
      }
      finished = true;
    } catch (error) {
      throw client.mapNetworkError(error, context.signal.aborted ? 'parent' : null, context.signal, 'stream');
    } finally {
      response.release();
      if (!finished) response.body.destroy();
    }
  }
}
