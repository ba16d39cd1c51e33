import type { ServerResponse } from 'node:http';
import type { StreamChunk } from '../../core/index.js';
import { toOpenAIErrorBody } from './to-openai-error.js';
import { toGatewayError } from '../to-gateway-error.js';
import { waitForDrain } from '../wait-for-drain.js';
import { writeSseHead } from '../write-sse-head.js';
import type { StreamWriteOptions } from '../wire-format.js';

export interface OpenAIStreamOptions extends StreamWriteOptions {
  /** Forward the usage chunk (the client asked for `stream_options.include_usage`). */
  includeUsage: boolean;
}

/**
 * Writes chunks as OpenAI SSE. The caller has already pulled the first chunk (so failures before
 * it still got a JSON error). A failure after the headers ends the stream with one error frame
 * and no `[DONE]`.
 */
export async function writeOpenAIStream(
  response: ServerResponse,
  first: StreamChunk,
  rest: AsyncIterator<StreamChunk>,
  options: OpenAIStreamOptions,
): Promise<void> {
  writeSseHead(response, options.headers);
  try {
    let item: StreamChunk | null = first;
    while (item !== null) {
      if (response.destroyed) return;
      if (options.includeUsage || !isUsageOnly(item)) {
        const text = `data: ${item.data ?? JSON.stringify(item.chunk)}\n\n`;
        if (!response.write(text)) await waitForDrain(response);
      }
      const next: IteratorResult<StreamChunk> = await rest.next();
      item = next.done === true ? null : next.value;
    }
    response.end('data: [DONE]\n\n');
  } catch (error) {
    options.onError(error);
    if (!response.destroyed) {
      const body = toOpenAIErrorBody(toGatewayError(error, options.requestId));
      response.end(`data: ${JSON.stringify(body)}\n\n`);
    }
  } finally {
    if (response.destroyed) await rest.return?.();
  }
}

function isUsageOnly(item: StreamChunk): boolean {
  return item.chunk.choices.length === 0 && item.chunk.usage !== undefined && item.chunk.usage !== null;
}
