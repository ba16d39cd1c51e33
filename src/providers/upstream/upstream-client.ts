import { createRequire } from 'node:module';
import type { Dispatcher, Pool } from 'undici';
import { GatewayError, ProviderError } from '../../core/index.js';
import type { CallContext } from '../../core/index.js';
import { createSecretRedactor, parseRetryAfter } from '../../lib/index.js';

export interface UpstreamClientSettings {
  /** The configured provider name, for errors and attempt records. */
  provider: string;
  baseUrl: string;
  headers: Record<string, string>;
  /** Each attempt: time to headers, and idle time between body chunks. */
  timeoutMs: number;
  maxConnections: number;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Appended to the base URL's path. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** True for SSE (kept for adapters; both kinds use the headers and idle timers). */
  stream: boolean;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** Call once the body is consumed or abandoned (a hook for adapters that hold resources). */
  release(): void;
}

/** Turns an upstream's error response into a ProviderError; each vendor reads its own body. */
export type ErrorBodyReader = (status: number, text: string) => ErrorBodyDetails;

export interface ErrorBodyDetails {
  message: string;
  type?: string | undefined;
  /** The vendor's error code, e.g. OpenAI's `context_length_exceeded`. */
  code?: string | null | undefined;
  /** A wait the vendor asked for in the body (e.g. Gemini's RetryInfo), in milliseconds. */
  retryAfterMs?: number | null | undefined;
}

const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' };

const RETRYABLE_STATUSES = new Set([408, 409, 425, 429, 529]);

/** Statuses that mean the upstream refused the gateway's own key: answered as 502 provider_error. */
const CREDENTIAL_STATUSES = new Set([401, 403, 407]);

/** 408, 409, 425, 429, 529 and every 5xx are worth another try; other 4xx (400, 401, 403, 404, 422…) are not. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || RETRYABLE_STATUSES.has(status);
}

const CONTEXT_WINDOW_PATTERN = /context[ _-]?(length|window)|maximum context|prompt is too long|too many tokens|input is too long|exceeds the (maximum|max) (number of )?tokens/i;

/** True when an upstream refusal says the prompt does not fit the model's context window. */
export function isContextWindowError(status: number, details: ErrorBodyDetails): boolean {
  if (status !== 400 && status !== 413 && status !== 422) return false;
  if (details.code === 'context_length_exceeded' || details.code === 'string_above_max_length') return true;
  return CONTEXT_WINDOW_PATTERN.test(details.message);
}

/** `x-should-retry: true|false` overrides the status's verdict (OpenAI and Anthropic send it). */
function shouldRetry(status: number, headers: Record<string, string | string[] | undefined>): boolean {
  const hint = headers['x-should-retry'];
  const value = Array.isArray(hint) ? hint[0] : hint;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return isRetryableStatus(status);
}

/**
 * One keep-alive connection pool to one upstream, and the error mapping every adapter shares:
 * connection failures, timeouts and error statuses become ProviderErrors with `retryable` set.
 */
export class UpstreamClient {
  readonly provider: string;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly settings: UpstreamClientSettings;
  /**
   * Removes this provider's configured header values (its key among them) and anything shaped
   * like a credential. Every message built from upstream text goes through it, because that text
   * reaches the client, stdout and the request log: an upstream that quotes the key it refused
   * must not hand it to the caller.
   */
  readonly redact: (text: string) => string;

  constructor(settings: UpstreamClientSettings) {
    const url = new URL(settings.baseUrl);
    this.provider = settings.provider;
    this.settings = settings;
    this.redact = createSecretRedactor(Object.values(settings.headers));
    this.basePath = url.pathname.replace(/\/+$/, '');
    // undici loads with the first HTTP provider: a gateway serving only the mock never pays for it.
    const { Pool: UndiciPool } = createRequire(import.meta.url)('undici') as typeof import('undici');
    this.pool = new UndiciPool(url.origin, {
      connections: settings.maxConnections,
      keepAliveTimeout: 30_000,
      headersTimeout: settings.timeoutMs,
      bodyTimeout: settings.timeoutMs,
      connect: { timeout: Math.min(settings.timeoutMs, 10_000) },
    });
  }

  /**
   * Sends one request. Per-attempt timeouts are undici's own headers and body (idle) timers, so
   * the hot path creates no extra AbortController or timer; the call's signal still aborts it.
   */
  async send(request: UpstreamRequest, context: CallContext): Promise<UpstreamResponse> {
    try {
      const response = await this.pool.request({
        method: request.method,
        path: this.basePath + request.path,
        headers: context.traceparent === undefined
          ? { ...this.settings.headers, ...request.headers, 'x-request-id': context.requestId }
          : { ...this.settings.headers, ...request.headers, 'x-request-id': context.requestId, traceparent: context.traceparent },
        body: request.body,
        signal: context.signal,
      });
      return { statusCode: response.statusCode, headers: response.headers, body: response.body, release: noop };
    } catch (error) {
      throw this.mapNetworkError(error, context.signal.aborted ? 'parent' : null, context.signal);
    }
  }

  /**
   * POSTs a JSON body and answers only a success: an error status is read with the vendor's
   * `readErrorBody` and thrown as a ProviderError.
   */
  async postJson(
    request: { path: string; body: string; stream: boolean; headers?: Record<string, string> },
    context: CallContext,
    readErrorBody: ErrorBodyReader,
  ): Promise<UpstreamResponse> {
    const response = await this.send({
      method: 'POST',
      path: request.path,
      headers: request.headers === undefined ? JSON_HEADERS : { ...request.headers, ...JSON_HEADERS },
      body: request.body,
      stream: request.stream,
    }, context);
    if (response.statusCode >= 400) throw await this.readError(response, readErrorBody);
    return response;
  }

  /** Sends a request and answers only a success; an error status is thrown as a ProviderError. */
  async sendOk(request: UpstreamRequest, context: CallContext, readErrorBody: ErrorBodyReader): Promise<UpstreamResponse> {
    const response = await this.send(request, context);
    if (response.statusCode >= 400) throw await this.readError(response, readErrorBody);
    return response;
  }

  /**
   * Maps an error thrown while sending or reading the body. `phase` says how far the call got:
   * a connection that drops after the upstream answered is a dropped answer, not "could not reach".
   */
  mapNetworkError(error: unknown, abortReason: 'parent' | 'timeout' | null, parent: AbortSignal, phase: 'send' | 'body' | 'stream' = 'send'): GatewayError {
    if (error instanceof ProviderError) return error;
    if (abortReason === 'parent' || (abortReason === null && parent.aborted)) {
      const reason: unknown = parent.reason;
      if (reason instanceof GatewayError) return reason;
      return new GatewayError('client_closed', 'the client closed the connection', { cause: error });
    }
    const code = errorCode(error);
    if (abortReason === 'timeout' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT') {
      return new ProviderError('provider_timeout', `${this.provider} did not answer in time`, {
        provider: this.provider, upstreamStatus: null, cause: error,
      });
    }
    const detail = code ?? this.redact(error instanceof Error ? error.message : 'unknown error');
    const message = phase === 'stream'
      ? `${this.provider} dropped the stream (${detail})`
      : phase === 'body' ? `${this.provider} dropped the connection while sending its answer (${detail})` : `could not reach ${this.provider} (${detail})`;
    return new ProviderError('provider_error', message, {
      provider: this.provider, upstreamStatus: null, retryable: true, cause: error,
    });
  }

  /** Reads an error response's body (bounded) and maps it to a ProviderError. */
  async readError(response: UpstreamResponse, readBody: ErrorBodyReader): Promise<ProviderError> {
    let text = '';
    try {
      text = await readBoundedText(response.body, 64 * 1024);
    } catch {
      // The status alone still says what happened.
    } finally {
      response.release();
    }
    const status = response.statusCode;
    const details = readBody(status, text);
    const retryAfterMs = parseRetryAfter(response.headers) ?? details.retryAfterMs ?? null;
    const code = status === 429 ? 'provider_rate_limited' : status === 408 || status === 504 ? 'provider_timeout' : 'provider_error';
    // The upstream refusing the gateway's own credentials is the gateway's failure, not the
    // caller's: a 401/403 passed on would read as the client's key being wrong.
    const credentialsRefused = CREDENTIAL_STATUSES.has(status);
    const message = credentialsRefused
      ? `${this.provider} refused the gateway's credentials (HTTP ${status}): ${this.redact(details.message)}`
      : `${this.provider}: ${this.redact(details.message)}`;
    return new ProviderError(code, message, {
      provider: this.provider,
      upstreamStatus: status,
      status: code === 'provider_error' && status >= 400 && status < 500 && !credentialsRefused ? status : undefined,
      retryable: shouldRetry(status, response.headers),
      retryAfterMs,
      reason: isContextWindowError(status, details) ? 'context_window_exceeded' : null,
    });
  }

  /** Reads a whole success body as text; a failure while reading is mapped like any network error. */
  async readText(response: UpstreamResponse, context: CallContext): Promise<string> {
    try {
      return await readText(response.body);
    } catch (error) {
      throw this.mapNetworkError(error, context.signal.aborted ? 'parent' : null, context.signal, 'body');
    } finally {
      response.release();
    }
  }

  /** Reads a whole success body as bytes, for answers passed on unchanged. */
  async readBytes(response: UpstreamResponse, context: CallContext): Promise<Buffer> {
    try {
      return await readAll(response.body);
    } catch (error) {
      throw this.mapNetworkError(error, context.signal.aborted ? 'parent' : null, context.signal, 'body');
    } finally {
      response.release();
    }
  }

  /** A 200 whose body is not what the vendor documents: retryable, another target may do better. */
  invalidResponse(what: string): ProviderError {
    return new ProviderError('provider_error', `${this.provider} sent an invalid ${what}`, {
      provider: this.provider, upstreamStatus: 200, retryable: true,
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function errorCode(error: unknown): string | undefined {
  if (error !== null && typeof error === 'object' && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

export async function readBoundedText(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const pieces: Buffer[] = [];
  let size = 0;
  for await (const piece of body) {
    if (size < limit) pieces.push(piece);
    size += piece.length;
  }
  const text = Buffer.concat(pieces).toString('utf8');
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** Reads a whole body as bytes (undici's own reader: cheaper than async iteration). */
export async function readAll(body: UpstreamResponse['body']): Promise<Buffer> {
  return Buffer.from(await body.arrayBuffer());
}

/** Reads a whole body as text (undici's own reader: cheaper than async iteration). */
export function readText(body: UpstreamResponse['body']): Promise<string> {
  return body.text();
}

function noop(): void {}
