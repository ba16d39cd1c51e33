import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../core/index.js';
import type { RequestContext } from '../inference/index.js';
import type { Principal } from '../policies/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Epoch ms when the request arrived. */
    startedAt: number;
  }
}

/**
 * The use case's view of a request. Its signal aborts when the client disconnects before the
 * answer is complete, which cancels every upstream call below.
 */
export function createRequestContext(
  request: FastifyRequest,
  reply: FastifyReply,
  endpoint: string,
  bodyUser: string | null | undefined,
): RequestContext {
  const principal = request.principal;
  if (principal === null) throw new GatewayError('missing_api_key', 'You did not provide an API key.');
  const metadata = parseMetadata(readHeader(request, 'x-sluice-metadata'));
  // From here on the use case reports this request to the request log.
  request.useCaseStarted = true;
  const controller = new AbortController();
  const response = reply.raw;
  response.once('close', () => {
    // A GatewayError, so that whatever was waiting (an upstream call, a backoff) reports client_closed.
    if (!response.writableFinished) controller.abort(new GatewayError('client_closed', 'the client closed the connection'));
  });
  return {
    requestId: request.id,
    signal: controller.signal,
    startedAt: request.startedAt,
    endpoint,
    principal,
    endUser: readHeader(request, 'x-sluice-user') ?? bodyUser ?? null,
    metadata,
  };
}

function readHeader(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function parseMetadata(value: string | null): Record<string, string> | null {
  if (value === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) ||
    !Object.values(parsed).every((item) => typeof item === 'string')) {
    throw new GatewayError('invalid_request', 'x-sluice-metadata must be a JSON object of string values.', {
      param: 'x-sluice-metadata',
    });
  }
  return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
