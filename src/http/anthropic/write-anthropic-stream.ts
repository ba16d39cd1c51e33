import type { ServerResponse } from 'node:http';
import type { StreamChunk } from '../../core/index.js';
import { toGatewayError } from '../to-gateway-error.js';
import { ChunksToAnthropicEvents } from './chunks-to-anthropic-events.js';
import { toAnthropicErrorBody } from './to-anthropic-error.js';
import { waitForDrain } from '../wait-for-drain.js';
import { writeSseHead } from '../write-sse-head.js';
import type { StreamWriteOptions } from '../wire-format.js';

/**
 * Writes a stream as Anthropic SSE, with `event:` lines. When the first item carries the
 * upstream's own Anthropic event (pass-through), every native event goes out unchanged and
 * translation extras are skipped; otherwise OpenAI chunks are translated. A failure after the
 * headers ends the stream with one `event: error` frame and no message_stop.
 */
export async function writeAnthropicStream(
  response: ServerResponse,
  first: StreamChunk,
  rest: AsyncIterator<StreamChunk>,
  options: StreamWriteOptions & { inputTokens?: (() => number) | undefined },
): Promise<void> {
  writeSseHead(response, options.headers);
  const native = first.native !== undefined;
  const translator = new ChunksToAnthropicEvents(options.inputTokens);
  const write = async (text: string): Promise<void> => {
    if (!response.write(text)) await waitForDrain(response);
  };
  try {
    let item: StreamChunk | null = first;
    while (item !== null) {
      if (response.destroyed) return;
      if (native) {
        if (item.native !== undefined) await write(`event: ${item.native.event}\ndata: ${item.native.data}\n\n`);
      } else {
        for (const event of translator.push(item.chunk)) await write(formatEvent(event.event, event.data));
      }
      const next: IteratorResult<StreamChunk> = await rest.next();
      item = next.done === true ? null : next.value;
    }
    if (!native) for (const event of translator.end()) await write(formatEvent(event.event, event.data));
    response.end();
  } catch (error) {
    options.onError(error);
    if (!response.destroyed) {
      response.end(formatEvent('error', toAnthropicErrorBody(toGatewayError(error, options.requestId), options.requestId)));
    }
  } finally {
    if (response.destroyed) await rest.return?.();
  }
}

function formatEvent(event: string, data: object): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
