import { randomUUID } from 'node:crypto';
import { GatewayError, ProviderError, assertTranslatable, convertWireUsage } from '../../core/index.js';
import type {
  CallContext, ChatRequest, ChatResult, ChatStream, EmbeddingsRequest, EmbeddingsResult, Provider, StreamChunk,
} from '../../core/index.js';
import { parseJsonOrUndefined, readSseEvents } from '../../lib/index.js';
import type { UpstreamResponse } from '../upstream/index.js';
import { convertGeminiResponse } from './convert-gemini-response.js';
import { createGeminiClient, geminiModelPath } from './gemini-client.js';
import { convertToGeminiContents } from './convert-to-gemini-contents.js';
import { geminiBatchEmbedResponseSchema, geminiEmbedResponseSchema, geminiErrorBodySchema, geminiResponseSchema } from './gemini-api.js';
import { readGeminiErrorBody } from './gemini-errors.js';
import { GeminiStreamToChunks } from './gemini-stream-to-chunks.js';

export interface GeminiProviderSettings {
  name: string;
  /** The vendor root, e.g. https://generativelanguage.googleapis.com; Sluice appends /v1beta/models/{model}:… */
  baseUrl: string;
  apiKey?: string | undefined;
  headers?: Record<string, string>;
  timeoutMs: number;
  maxConnections: number;
  /** Epoch milliseconds, for `created`; injectable for tests. */
  now?: () => number;
  /** A fresh unique id (tool calls, completions); injectable for tests. */
  newId?: () => string;
}

/** A Gemini Developer API upstream: generateContent, streamGenerateContent?alt=sse, embedContent. */
export function createGeminiProvider(settings: GeminiProviderSettings): Provider & { close(): Promise<void> } {
  const now = settings.now ?? Date.now;
  const newId = settings.newId ?? (() => `call_${randomUUID().replaceAll('-', '')}`);
  const client = createGeminiClient(settings);
  const modelPath = geminiModelPath;

  function post(path: string, body: unknown, stream: boolean, context: CallContext): Promise<UpstreamResponse> {
    return client.postJson({ path, body: JSON.stringify(body), stream }, context, readGeminiErrorBody);
  }

  return {
    name: settings.name,

    async chat(request: ChatRequest, context: CallContext): Promise<ChatResult> {
      assertTranslatable(context);
      const body = convertToGeminiContents(request, { stream: false });
      const response = await post(modelPath(request.model, 'generateContent'), body, false, context);
      const parsed = geminiResponseSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
      if (!parsed.success) throw client.invalidResponse('generateContent response');
      const completion = convertGeminiResponse(parsed.data, { model: request.model, now: now(), newId });
      return {
        readCompletion: () => completion,
        usage: completion.usage ? convertWireUsage(completion.usage) : null,
        provider: settings.name,
        model: request.model,
      };
    },

    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      assertTranslatable(context);
      const body = convertToGeminiContents(request, { stream: true });
      const response = await post(`${modelPath(request.model, 'streamGenerateContent')}?alt=sse`, body, true, context);
      const transform = new GeminiStreamToChunks({ model: request.model, now: now(), newId });
      return { provider: settings.name, model: request.model, chunks: readChunks(response, transform, context) };
    },

    async embed(request: EmbeddingsRequest, context: CallContext): Promise<EmbeddingsResult> {
      const inputs = textInputs(request.input);
      const dimensions = request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {};
      let vectors: number[][];
      if (typeof request.input === 'string') {
        const response = await post(modelPath(request.model, 'embedContent'), {
          content: { parts: [{ text: request.input }] }, ...dimensions,
        }, false, context);
        const parsed = geminiEmbedResponseSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
        if (!parsed.success) throw client.invalidResponse('embedContent response');
        vectors = [parsed.data.embedding.values];
      } else {
        const response = await post(modelPath(request.model, 'batchEmbedContents'), {
          requests: inputs.map((text) => ({ model: `models/${request.model}`, content: { parts: [{ text }] }, ...dimensions })),
        }, false, context);
        const parsed = geminiBatchEmbedResponseSchema.safeParse(parseJsonOrUndefined(await client.readText(response, context)));
        if (!parsed.success || parsed.data.embeddings.length !== inputs.length) throw client.invalidResponse('batchEmbedContents response');
        vectors = parsed.data.embeddings.map((embedding) => embedding.values);
      }
      const data = vectors.map((vector, index) => ({
        object: 'embedding' as const,
        index,
        embedding: request.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      }));
      // Gemini's embedding API reports no token counts.
      return {
        response: { object: 'list', model: request.model, data, usage: { prompt_tokens: 0, total_tokens: 0 } },
        usage: convertWireUsage({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }),
        provider: settings.name,
        model: request.model,
      };
    },

    close: () => client.close(),
  };

  async function* readChunks(response: UpstreamResponse, transform: GeminiStreamToChunks, context: CallContext): AsyncGenerator<StreamChunk> {
    let finished = false;
    try {
      for await (const event of readSseEvents(response.body)) {
        const json = parseJsonOrUndefined(event.data);
        const error = geminiErrorBodySchema.safeParse(json);
        if (error.success) {
          const status = error.data.error.code ?? null;
          throw new ProviderError('provider_error', `${settings.name}: ${client.redact(error.data.error.message)}`, {
            provider: settings.name, upstreamStatus: 200, retryable: status === null || status === 429 || status >= 500,
          });
        }
        const parsed = geminiResponseSchema.safeParse(json);
        if (!parsed.success) throw client.invalidResponse('stream chunk');
        for (const chunk of transform.push(parsed.data)) yield { chunk };
      }
      if (!transform.complete) {
        throw new ProviderError('provider_error', `${settings.name} ended the stream without a finish reason`, {
          provider: settings.name, upstreamStatus: 200, retryable: true,
        });
      }
      for (const chunk of transform.finish()) yield { chunk };
      finished = true;
    } catch (error) {
      throw client.mapNetworkError(error, context.signal.aborted ? 'parent' : null, context.signal, 'stream');
    } finally {
      response.release();
      if (!finished) response.body.destroy();
    }
  }
}

function textInputs(input: EmbeddingsRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  return input.map((item, index) => {
    if (typeof item === 'string') return item;
    throw new GatewayError('invalid_request', 'Gemini embeddings take text, not token arrays.', { param: `input[${index}]` });
  });
}
