import type { ServerResponse, OutgoingHttpHeaders } from 'node:http';
import type { GatewayError, StreamChunk } from '../core/index.js';

/** What a stream writer needs besides the chunks. */
export interface StreamWriteOptions {
  /** Every header of the answer (Sluice's, the API's own, CORS); the writer adds the SSE ones. */
  headers: OutgoingHttpHeaders;
  requestId: string;
  /** A failure after the stream was committed (it ends the stream with one error frame). */
  onError: (error: unknown) => void;
}

/** Writes a committed stream; the first chunk was pulled before committing to a 200. */
export type StreamWriter = (
  response: ServerResponse, first: StreamChunk, rest: AsyncIterator<StreamChunk>, options: StreamWriteOptions,
) => Promise<void>;

/** One client-facing API (OpenAI, Anthropic, …): how its errors look and what its clients expect on every answer. */
export interface WireFormat {
  readonly name: string;
  /** The JSON body of an error answer (and of an SSE error frame) in this API's shape. */
  errorBody(error: GatewayError, requestId: string): unknown;
  /** Headers this API's clients read on every answer, besides Sluice's own. */
  ownHeaders(requestId: string): Record<string, string>;
}
