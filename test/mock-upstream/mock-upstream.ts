/** A scripted fake LLM vendor: a real HTTP server on 127.0.0.1 that tests point upstream URLs at. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createDeferred, waitWithTimeout, type Deferred } from './deferred.js';
import { defaultMockReply } from './default-mock-reply.js';
import type { MockHandler, MockReply, RecordedRequest } from './mock-reply.js';
import { writeMockReply } from './reply-writer.js';

export interface MockUpstreamOptions {
  /** Replaces the built-in default reply for requests with nothing queued or routed. */
  defaultReply?: MockHandler;
  /** Keep RecordedRequest objects (default true); benchmarks can turn this off to keep memory flat. */
  recordRequests?: boolean;
}

export interface RequestEnd {
  aborted: boolean;
}

export interface MockUpstream {
  /** "http://127.0.0.1:PORT", no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Queue replies for requests whose path (without query string) equals `path`, consumed FIFO. */
  enqueue(path: string, ...replies: MockReply[]): void;
  /** Answer every request to `path` once its queued replies are used up. */
  route(path: string, handler: MockHandler): void;
  /** Forget queued replies, routes and recorded requests; pending waits reject. */
  reset(): void;
  /** Resolves when the n-th request (0-based) ended: reply finished, or the client went away first. */
  waitForRequestEnd(index: number, timeoutMs?: number): Promise<RequestEnd>;
  /** Resolves once at least n requests were received. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /** Closes the server and destroys every open socket, hung ones included. */
  close(): Promise<void>;
}

const DEFAULT_WAIT_MS = 5000;

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const upstream = new MockUpstreamServer(options);
  await upstream.listen();
  return upstream;
}

interface RequestCountWaiter {
  count: number;
  deferred: Deferred<void>;
}

class MockUpstreamServer implements MockUpstream {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly queues = new Map<string, MockReply[]>();
  private readonly routes = new Map<string, MockHandler>();
  private readonly defaultHandler: MockHandler;
  private readonly recordRequests: boolean;
  /** Counts requests since the last reset; also the index of the next one. */
  private receivedCount = 0;
  private requestEnds = new Map<number, Deferred<RequestEnd>>();
  private countWaiters: RequestCountWaiter[] = [];
  /** Aborted on reset and close so that pending waits reject instead of idling until their timeout. */
  private waitCancellation = new AbortController();
  private closing = false;
  private closed: Promise<void> | undefined;
  private listeningPort = 0;

  constructor(options: MockUpstreamOptions) {
    this.defaultHandler = options.defaultReply ?? defaultMockReply;
    this.recordRequests = options.recordRequests ?? true;
    this.server = createServer((request, response) => this.receive(request, response));
    this.server.on('connection', (socket: Socket) => this.trackSocket(socket));
  }

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address: AddressInfo | string | null = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('mock upstream did not get a TCP address'));
          return;
        }
        this.listeningPort = address.port;
        resolve();
      });
    });
  }

  enqueue(path: string, ...replies: MockReply[]): void {
    const queue = this.queues.get(path);
    if (queue === undefined) this.queues.set(path, [...replies]);
    else queue.push(...replies);
  }

  route(path: string, handler: MockHandler): void {
    this.routes.set(path, handler);
  }

  reset(): void {
    this.queues.clear();
    this.routes.clear();
    this.requests.length = 0;
    this.receivedCount = 0;
    this.requestEnds = new Map();
    this.countWaiters = [];
    this.waitCancellation.abort();
    this.waitCancellation = new AbortController();
  }

  waitForRequestEnd(index: number, timeoutMs = DEFAULT_WAIT_MS): Promise<RequestEnd> {
    const description = `request #${index} to end`;
    return waitWithTimeout(this.requestEndAt(index).promise, timeoutMs, description, this.waitCancellation.signal);
  }

  waitForRequests(n: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (this.receivedCount >= n) return Promise.resolve();
    const deferred = createDeferred<void>();
    this.countWaiters.push({ count: n, deferred });
    const description = `${n} requests (received ${this.receivedCount} so far)`;
    return waitWithTimeout(deferred.promise, timeoutMs, description, this.waitCancellation.signal);
  }

  close(): Promise<void> {
    this.closed ??= this.shutDown();
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    this.closing = true;
    this.waitCancellation.abort();
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await serverClosed;
  }

  private trackSocket(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private receive(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // A failure here is a harness bug; cutting the connection makes the test fail visibly instead of hanging.
      this.answer(request, response, Buffer.concat(chunks).toString('utf8')).catch(() => request.socket.destroy());
    });
  }

  private async answer(request: IncomingMessage, response: ServerResponse, rawBody: string): Promise<void> {
    const recorded = recordRequest(request, rawBody);
    const requestEnd = this.register(recorded);
    const exchangeClosed = new AbortController();
    let terminatedByServer = false;

    response.once('finish', () => requestEnd?.resolve({ aborted: false }));
    response.once('close', () => {
      exchangeClosed.abort();
      const clientWentAway = !response.writableFinished && !terminatedByServer && !this.closing;
      if (clientWentAway) recorded.aborted = true;
      requestEnd?.resolve({ aborted: clientWentAway });
    });

    const reply = await this.chooseReply(recorded);
    if (response.destroyed) return;
    await writeMockReply(reply, {
      response,
      socket: request.socket,
      signal: exchangeClosed.signal,
      markServerTermination: () => {
        terminatedByServer = true;
      },
    });
  }

  /** Stores the request, wakes count waiters and returns the deferred that reports how it ended. */
  private register(recorded: RecordedRequest): Deferred<RequestEnd> | undefined {
    const index = this.receivedCount;
    this.receivedCount += 1;
    // Without recording, only requests someone already waits on get an end tracker.
    const requestEnd = this.recordRequests ? this.requestEndAt(index) : this.requestEnds.get(index);
    if (this.recordRequests) this.requests.push(recorded);
    if (this.countWaiters.length > 0) this.wakeCountWaiters();
    return requestEnd;
  }

  private requestEndAt(index: number): Deferred<RequestEnd> {
    let requestEnd = this.requestEnds.get(index);
    if (requestEnd === undefined) {
      requestEnd = createDeferred<RequestEnd>();
      this.requestEnds.set(index, requestEnd);
    }
    return requestEnd;
  }

  private wakeCountWaiters(): void {
    const stillWaiting: RequestCountWaiter[] = [];
    for (const waiter of this.countWaiters) {
      if (this.receivedCount >= waiter.count) waiter.deferred.resolve();
      else stillWaiting.push(waiter);
    }
    this.countWaiters = stillWaiting;
  }

  private async chooseReply(recorded: RecordedRequest): Promise<MockReply> {
    const queued = this.queues.get(recorded.path)?.shift();
    if (queued !== undefined) return queued;
    const handler = this.routes.get(recorded.path) ?? this.defaultHandler;
    try {
      return await handler(recorded);
    } catch (error) {
      return handlerFailure(error);
    }
  }
}

function recordRequest(request: IncomingMessage, rawBody: string): RecordedRequest {
  const url = request.url ?? '/';
  const queryStart = url.indexOf('?');
  return {
    method: request.method ?? 'GET',
    path: queryStart === -1 ? url : url.slice(0, queryStart),
    query: queryStart === -1 ? '' : url.slice(queryStart + 1),
    headers: { ...request.headers },
    rawBody,
    body: parseJson(rawBody),
    aborted: false,
  };
}

function parseJson(rawBody: string): unknown {
  if (rawBody.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(rawBody);
    return parsed;
  } catch {
    return undefined;
  }
}

/** A throwing handler is a test bug; answer 500 with the message so the failing test shows it. */
function handlerFailure(error: unknown): MockReply {
  const message = error instanceof Error ? error.message : String(error);
  return {
    kind: 'json',
    status: 500,
    body: { error: { message: `mock upstream handler threw: ${message}`, type: 'mock_handler_error', code: null, param: null } },
  };
}
