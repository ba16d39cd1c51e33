/** Types describing what the mock upstream receives and how it answers. */

export interface RecordedRequest {
  method: string;
  path: string;
  /** Query string without the leading '?', '' when there is none. */
  query: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
  /** JSON.parse(rawBody) when it parses, else undefined. */
  body: unknown;
  /** Set to true when the client closed the connection before the reply completed. */
  aborted: boolean;
}

export type MockHandler = (request: RecordedRequest) => MockReply | Promise<MockReply>;

export interface SseEvent {
  data: string | object;
  event?: string;
  /** Wait this long before writing the event. */
  delayMs?: number;
}

export interface MockJsonReply {
  kind: 'json';
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
  delayMs?: number;
}

/** A non-JSON body such as an HTML error page; content-type defaults to text/html. */
export interface MockTextReply {
  kind: 'text';
  status?: number;
  headers?: Record<string, string>;
  body: string;
  delayMs?: number;
}

export interface MockSseReply {
  kind: 'sse';
  status?: number;
  headers?: Record<string, string>;
  /** Wait this long before sending the headers. */
  delayMs?: number;
  events: SseEvent[];
  /** Append "data: [DONE]" after the events (default false). */
  done?: boolean;
  /** After writing this many events keep the connection open without ever ending it. */
  stallAfter?: number;
  /** After writing this many events destroy the socket. */
  resetAfter?: number;
}

/** Read the request, never send headers; the socket stays open until either side closes it. */
export interface MockHangReply {
  kind: 'hang';
}

/** Destroy the socket immediately (TCP RST) without any response. */
export interface MockResetReply {
  kind: 'reset';
}

/** Send the headers (with the full content-length) and the first `bytes` bytes of the body, then destroy the socket. */
export interface MockResetAfterBytesReply {
  kind: 'reset-after-bytes';
  status?: number;
  headers?: Record<string, string>;
  body: string;
  bytes: number;
}

export type MockReply =
  | MockJsonReply
  | MockTextReply
  | MockSseReply
  | MockHangReply
  | MockResetReply
  | MockResetAfterBytesReply;
