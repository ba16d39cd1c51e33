import {
  ProviderError, assertTranslatable, convertWireUsage,
} from '../../core/index.js';
import type {
  CallContext, ChatCompletion, ChatCompletionChunk, ChatRequest, ChatResult, ChatStream, EmbeddingsRequest,
  EmbeddingsResult, Provider, StreamChunk, Usage,
} from '../../core/index.js';
import { parseJsonOrUndefined, readSseEvents } from '../../lib/index.js';
import { UpstreamClient } from '../upstream/index.js';
import type { UpstreamResponse } from '../upstream/index.js';
import {
  openaiChatCompletionSchema, openaiEmbeddingsSchema, openaiResponseUsageSchema, openaiUsageSchema,
} from './openai-api.js';
import { isOpenAIChunk } from './check-openai-chunk.js';
import { readOpenAIErrorBody } from './openai-errors.js';
import { scanUsageText } from './scan-usage.js';

export interface OpenAIProviderSettings {
  name: string;
  /** Any OpenAI-compatible API root, e.g. https://api.openai.com/v1 or http://localhost:8000/v1. */
  baseUrl: string;
  apiKey?: string | undefined;
  headers?: Record<string, string>;
  timeoutMs: number;
  maxConnections: number;
  /**
   * `max_tokens`: servers that only know the older field get a request's `max_completion_tokens`
   * renamed (translated requests carry the newer one, which GPT-5 and o-series require).
   */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens' | undefined;
}

/**
 * An OpenAI-compatible upstream. Bodies go out as the client sent them (model replaced, usage
 * always requested) and come back byte for byte; only usage is read.
 */
export function createOpenAIProvider(settings: OpenAIProviderSettings): Provider & { close(): Promise<void> } {
  const client = new UpstreamClient({
    provider: settings.name,
    baseUrl: settings.baseUrl,
    headers: {
      ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
      ...settings.headers,
    },
    timeoutMs: settings.timeoutMs,
    maxConnections: settings.maxConnections,
  });

  function withMaxTokensField(request: ChatRequest): ChatRequest {
    if (settings.maxTokensField !== 'max_tokens' || request.max_completion_tokens === undefined || request.max_completion_tokens === null) return request;
    const { max_completion_tokens: limit, ...rest } = request;
    return { ...rest, max_tokens: request.max_tokens ?? limit };
  }

  function post(path: string, body: string, stream: boolean, context: CallContext): Promise<UpstreamResponse> {
    return client.postJson({ path, body, stream }, context, readOpenAIErrorBody);
  }

  return {
    name: settings.name,

    async chat(original: ChatRequest, context: CallContext): Promise<ChatResult> {
      assertTranslatable(context);
      const request = withMaxTokensField(original);
      const outgoing = request.stream || request.stream_options ? { ...request, stream: false, stream_options: undefined } : request;
      const response = await post('/chat/completions', JSON.stringify(outgoing), false, context);
      const body = await client.readText(response, context);
      const usage = readUsage(body);
      // The bytes go to OpenAI clients as they are; the full check runs only for callers that
      // read the completion (translation to another format, caching).
      let completion: ChatCompletion | undefined;
      return {
        readCompletion(): ChatCompletion {
          if (completion !== undefined) return completion;
          const parsed = openaiChatCompletionSchema.safeParse(parseJsonOrUndefined(body));
          if (!parsed.success) throw client.invalidResponse('chat completion');
          completion = parsed.data;
          return completion;
        },
        body,
        usage,
        provider: settings.name,
        model: request.model,
      };
    },

    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      assertTranslatable(context);
      const outgoing = { ...withMaxTokensField(request), stream: true, stream_options: { ...request.stream_options, include_usage: true } };
      const response = await post('/chat/completions', JSON.stringify(outgoing), true, context);
      return { provider: settings.name, model: request.model, chunks: readChunks(response, context) };
    },

    async embed(request: EmbeddingsRequest, context: CallContext): Promise<EmbeddingsResult> {
      const response = await post('/embeddings', JSON.stringify(request), false, context);
      const body = await client.readText(response, context);
      const parsed = openaiEmbeddingsSchema.safeParse(parseJsonOrUndefined(body));
      if (!parsed.success) throw client.invalidResponse('embeddings response');
      const usage = parsed.data.usage;
      return {
        response: parsed.data,
        body,
        usage: convertWireUsage({ prompt_tokens: usage.prompt_tokens, completion_tokens: 0, total_tokens: usage.total_tokens }),
        provider: settings.name,
        model: request.model,
      };
    },

    close: () => client.close(),
  };

  /**
   * The answer's usage, read without parsing the whole body: the bytes go to OpenAI clients as
   * they are, and only callers that need the completion (translation, caching) parse it.
   */
  function readUsage(body: string): Usage | null {
    const text = scanUsageText(body);
    if (text === undefined) {
      // Not an object we can scan: the full check says what is wrong with it.
      const parsed = openaiResponseUsageSchema.safeParse(parseJsonOrUndefined(body));
      if (!parsed.success) throw client.invalidResponse('chat completion');
      return parsed.data.usage ? convertWireUsage(parsed.data.usage) : null;
    }
    if (text === null) return null;
    const parsed = openaiUsageSchema.safeParse(parseJsonOrUndefined(text));
    if (!parsed.success) throw client.invalidResponse('chat completion');
    return convertWireUsage(parsed.data);
  }

  async function* readChunks(response: UpstreamResponse, context: CallContext): AsyncGenerator<StreamChunk> {
    let finished = false;
    let sawDone = false;
    let sawFinish = false;
    try {
      response.body.setEncoding('utf8');
      for await (const event of readSseEvents(response.body)) {
        if (event.data === '[DONE]') {
          sawDone = true;
          break;
        }
        const json = parseJsonOrUndefined(event.data);
        if (event.event === 'error' || (json !== null && typeof json === 'object' && 'error' in json)) {
          const { message } = readOpenAIErrorBody(200, event.data);
          throw new ProviderError('provider_error', `${settings.name}: ${client.redact(message)}`, {
            provider: settings.name, upstreamStatus: 200, retryable: true,
          });
        }
        if (!isOpenAIChunk(json)) throw client.invalidResponse('stream chunk');
        const chunk: ChatCompletionChunk = json;
        if (chunk.choices.some((choice) => choice.finish_reason !== null && choice.finish_reason !== undefined)) sawFinish = true;
        yield { chunk, data: event.data };
      }
      // A body that simply stops (a proxy cut it) must not pass for a complete answer.
      if (!sawDone && !sawFinish) {
        throw new ProviderError('provider_error', `${settings.name}: the stream ended before the answer was complete`, {
          provider: settings.name, upstreamStatus: 200, retryable: true,
        });
      }
      finished = true;
    } catch (error) {
      throw client.mapNetworkError(error, context.signal.aborted ? 'parent' : null, context.signal, 'stream');
    } finally {
      response.release();
      // Abandoned early (client gone, or a wrapper gave up): close the upstream connection.
      if (!finished) response.body.destroy();
    }
  }
}
