import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/index.js';
import type { ChatStream } from '../core/index.js';
import { RequestLifecycle } from '../inference/index.js';
import type { ExperimentAssigner, LifecycleSettings } from '../inference/index.js';
import { mayPinVariant } from '../policies/index.js';
import type { Authenticator, Principal } from '../policies/index.js';
import type { PromptRegistry } from '../services/index.js';
import { answerHeaders } from './answer-headers.js';
import { applyRegistryPrompt } from './apply-registry-prompt.js';
import { authenticateRequest } from './authenticate.js';
import { toGatewayError } from './to-gateway-error.js';
import type { StreamWriter, WireFormat } from './wire-format.js';
import { WIRE_LIMITS } from './wire-limits.js';

/** What every inference endpoint shares. */
export interface ShellDependencies {
  lifecycle: LifecycleSettings;
  authenticator: Authenticator;
  maxBodyBytes: number;
  /** Refuses a caller already over its rpm before its body is read (PolicyGate.refuseEarly). */
  refuseEarly?: ((principal: Principal) => Promise<void>) | undefined;
  /** True once the server is draining: new requests get a clean 503 in the API's own shape. */
  closing: () => boolean;
  onError: (error: GatewayError, requestId: string) => void;
  /** The prompt registry, for bodies that name a prompt; absent, prompt fields pass to validation as they are. */
  prompts?: PromptRegistry | undefined;
  /** A/B experiments, for experiments that run on a registry prompt. */
  experiments?: ExperimentAssigner | undefined;
}

/** What a use case answers: one JSON document, or a stream and the writer for this API. */
export type ShellAnswer =
  | { kind: 'json'; body: string | Buffer; staticFallback: boolean; headers?: Record<string, string> | undefined }
  | { kind: 'stream'; stream: ChatStream; write: StreamWriter };

/** One inference endpoint: its API, how to read its body, and its use case. */
export interface InferenceRoute<Input> {
  url: string;
  /** The endpoint name the request log records (`chat.completions`, `messages`, `embeddings`). */
  endpoint: string;
  wire: WireFormat;
  /** The body shape a registry prompt is applied to, for endpoints that take one. */
  prompts?: 'openai' | 'anthropic' | undefined;
  /** Validates the JSON body (throwing `invalid_request` naming the field). */
  parse(body: unknown, request: FastifyRequest): Input;
  /** The body's own end-user field, when the API has one. */
  endUserOf?(input: Input): string | null | undefined;
  run(lifecycle: RequestLifecycle, input: Input, request: FastifyRequest): Promise<ShellAnswer>;
}

/**
 * Registers one inference endpoint. Every one of them goes the same way: the lifecycle starts
 * before anything can fail, then the key, the body and the use case; any failure, from a missing
 * key to an upstream outage, ends the lifecycle once and answers in the endpoint's own error
 * shape with the same headers as a success.
 */
export function registerInferenceRoute<Input>(app: FastifyInstance, shell: ShellDependencies, route: InferenceRoute<Input>): void {
  const { wire } = route;
  app.post(route.url, async (request: FastifyRequest, reply: FastifyReply) => {
    const lifecycle = new RequestLifecycle(shell.lifecycle, request.id, route.endpoint, undefined, readHeader(request, 'traceparent'));
    const response = reply.raw;
    response.once('close', () => {
      if (!response.writableFinished) lifecycle.cancel();
    });
    try {
      if (shell.closing()) {
        throw new GatewayError('service_unavailable', 'This gateway instance is shutting down; retry the request.', { retryAfterMs: 1000 });
      }
      lifecycle.principal = await authenticateRequest(shell.authenticator, request.headers);
      // Cheap refusals first: a caller over its rpm is refused before a byte of a large body is parsed.
      // A small body costs less to parse than a limit-store round trip, and admission refuses it anyway.
      if (shell.refuseEarly !== undefined && !isSmallBody(request.raw)) await shell.refuseEarly(lifecycle.principal);
      lifecycle.metadata = parseMetadata(readHeader(request, 'x-sluice-metadata'));
      const headerUser = readHeader(request, 'x-sluice-user');
      lifecycle.endUser = headerUser === null ? null : capped(headerUser, 'x-sluice-user');
      const session = readHeader(request, 'x-sluice-session');
      lifecycle.session = session === null ? null : capped(session, 'x-sluice-session');
      // Pinning a variant is for QA: from keys that may not, the header is ignored (CONTRACT §3.4).
      const pin = readHeader(request, 'x-sluice-variant');
      lifecycle.pinnedVariant = pin !== null && mayPinVariant(lifecycle.principal) ? pin : null;
      let body = await readJsonBody(request.raw, shell.maxBodyBytes);
      if (route.prompts !== undefined && shell.prompts !== undefined) {
        body = await applyRegistryPrompt(shell.prompts, lifecycle, body, readHeader(request, 'x-sluice-prompt'), route.prompts, shell.experiments);
      }
      noteBody(lifecycle, body);
      const input = route.parse(body, request);
      lifecycle.endUser ??= route.endUserOf?.(input) ?? null;
      const answer = await route.run(lifecycle, input, request);
      if (answer.kind === 'json') {
        const own = answer.headers === undefined ? wire.ownHeaders(request.id) : { ...wire.ownHeaders(request.id), ...answer.headers };
        const headers = answerHeaders(lifecycle, own, null, answer.staticFallback);
        return reply.code(200).headers(headers).type('application/json').send(answer.body);
      }
      const iterator = answer.stream.chunks[Symbol.asyncIterator]();
      // Pull the first chunk before committing to a 200, so an early failure still gets a JSON error.
      // Routes hold frames back until content (the stream commit point), so this is the first content.
      const first = await iterator.next();
      // The use case already turns an empty stream into an error; this only narrows the type.
      if (first.done === true) throw new GatewayError('provider_error', `${answer.stream.provider} ended the stream without output`);
      // Headers set by hooks (CORS) go out too: after hijack, Fastify writes nothing itself.
      const headers: OutgoingHttpHeaders = answerHeaders(lifecycle, wire.ownHeaders(request.id), null, answer.stream.staticFallback !== undefined);
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined && headers[name] === undefined) headers[name] = value;
      }
      reply.hijack();
      await answer.write(response, first.value, iterator, {
        headers,
        requestId: request.id,
        onError: (error) => shell.onError(toGatewayError(error, request.id), request.id),
      });
      return reply;
    } catch (error) {
      const gatewayError = toGatewayError(error, request.id);
      // A no-op when the use case already ended it; a refusal before the use case ends here.
      lifecycle.fail(gatewayError);
      shell.onError(gatewayError, request.id);
      const headers = answerHeaders(lifecycle, wire.ownHeaders(request.id), gatewayError, false);
      if (shell.closing()) headers.connection = 'close';
      return reply.code(gatewayError.status).headers(headers).type('application/json')
        .send(JSON.stringify(wire.errorBody(gatewayError, request.id)));
    }
  });
}

/**
 * Reads the body as JSON. The shell reads it itself, after the key check, so a refused caller's
 * body is never parsed; the size limit holds before a byte is buffered past it, and a body that
 * is not UTF-8 is refused rather than silently altered.
 */
export function readJsonBody(stream: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(stream.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  // Listeners rather than an async iterator: a small body arrives in one chunk, and this runs on every request.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    stream.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        // Keep draining without buffering, so the answer can still be read on this connection.
        refused = true;
        chunks.length = 0;
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => {
      if (refused) return;
      try {
        resolve(parseJsonBytes(chunks.length === 1 ? chunks[0] ?? Buffer.alloc(0) : Buffer.concat(chunks, size)));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Bodies up to this size are parsed before the rpm check; larger or unannounced ones are checked first. */
const EARLY_CHECK_BYTES = 16 * 1024;

function isSmallBody(stream: IncomingMessage): boolean {
  const declared = Number(stream.headers['content-length']);
  return Number.isFinite(declared) && declared <= EARLY_CHECK_BYTES;
}

function parseJsonBytes(bytes: Buffer): unknown {
  if (bytes.length === 0) throw new GatewayError('invalid_json', 'The request body must be a JSON document.');
  if (!isUtf8(bytes)) throw new GatewayError('invalid_json', 'The request body is not valid UTF-8.');
  if (nestingDepth(bytes, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new GatewayError('invalid_json', `The request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new GatewayError('invalid_json', 'We could not parse the JSON body of your request.');
  }
}

/** No API the gateway serves nests this deep; JSON.parse takes seconds over megabytes of `[[[[`. */
const MAX_JSON_DEPTH = 64;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/** The deepest nesting of arrays and objects in a JSON text, ignoring strings; stops once past `limit`. */
function nestingDepth(bytes: Buffer, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
    }
  }
  return deepest;
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('body_too_large', `Request body is larger than the server accepts (${maxBytes} bytes; see server.max_body_bytes).`);
}

/** What a body tells before validation, so that a refused request's log row still names its model. */
function noteBody(lifecycle: RequestLifecycle, body: unknown): void {
  if (body === null || typeof body !== 'object') return;
  if ('model' in body && typeof body.model === 'string') lifecycle.requestedModel = body.model.slice(0, WIRE_LIMITS.identifierLength);
  lifecycle.stream = 'stream' in body && body.stream === true;
}

function capped(value: string, param: string): string {
  if (value.length > WIRE_LIMITS.identifierLength) {
    throw new GatewayError('invalid_request', `${param} must be at most ${WIRE_LIMITS.identifierLength} characters.`, { param });
  }
  return value;
}

function readHeader(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

const MAX_METADATA_BYTES = 4096;

function parseMetadata(value: string | null): Record<string, string> | null {
  if (value === null) return null;
  let parsed: unknown;
  try {
    parsed = value.length > MAX_METADATA_BYTES ? undefined : JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) ||
    !Object.values(parsed).every((item) => typeof item === 'string')) {
    throw new GatewayError('invalid_request', `x-sluice-metadata must be a JSON object of string values, at most ${MAX_METADATA_BYTES} bytes.`, {
      param: 'x-sluice-metadata',
    });
  }
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
