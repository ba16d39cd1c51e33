import type { ServerResponse } from 'node:http';
import type { StreamChunk } from '../../core/index.js';
import { toGatewayError } from '../to-gateway-error.js';
import { waitForDrain } from '../wait-for-drain.js';
import { writeSseHead } from '../write-sse-head.js';
import type { StreamWriteOptions } from '../wire-format.js';
import type { ChunksToResponseEvents, ResponseEvent } from './chunks-to-response-events.js';
import type { ResponseObject } from './responses-wire.js';

export interface ResponsesStreamOptions extends StreamWriteOptions {
  translator: ChunksToResponseEvents;
  /** Epoch seconds, for `completed_at`. */
  nowSeconds: () => number;
  /** Stores the finished response; awaited before the terminal event, so a follow-up finds it. */
  save: (response: ResponseObject) => Promise<void>;
}

/**
 * Writes a stream as Responses API SSE (`event:` + `data:` lines, no `[DONE]`). The caller has
 * pulled the first chunk, so failures before content still got a JSON error and could fall
 * back; a failure after it ends the stream with `response.failed`, never a fake completion.
 */
export async function writeResponsesStream(
  response: ServerResponse,
  first: StreamChunk,
  rest: AsyncIterator<StreamChunk>,
  options: ResponsesStreamOptions,
): Promise<void> {
  writeSseHead(response, options.headers);
  const { translator } = options;
  const write = async (events: readonly ResponseEvent[]): Promise<void> => {
    let text = '';
    for (const event of events) text += `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    if (text !== '' && !response.write(text)) await waitForDrain(response);
  };
  try {
    await write(translator.start());
    let item: StreamChunk | null = first;
    while (item !== null) {
      if (response.destroyed) return;
      await write(translator.push(item.chunk));
      const next: IteratorResult<StreamChunk> = await rest.next();
      item = next.done === true ? null : next.value;
    }
    const end = translator.end(options.nowSeconds());
    await write(end.closing);
    await options.save(end.response);
    response.end(`event: ${end.terminal.type}\ndata: ${JSON.stringify(end.terminal)}\n\n`);
  } catch (error) {
    options.onError(error);
    if (!response.destroyed) {
      const gatewayError = toGatewayError(error, options.requestId);
      const failed = translator.fail({ code: gatewayError.code, message: gatewayError.message });
      response.end(`event: ${failed.event.type}\ndata: ${JSON.stringify(failed.event)}\n\n`);
    }
  } finally {
    if (response.destroyed) await rest.return?.();
  }
}
