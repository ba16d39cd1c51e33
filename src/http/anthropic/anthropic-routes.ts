import type { FastifyInstance, FastifyReply } from 'fastify';
import { GatewayError } from '../../core/index.js';
import type { AttemptRecord } from '../../core/index.js';
import { handleMessages } from '../../inference/index.js';
import type { InferenceDependencies } from '../../inference/index.js';
import { LimitExceededError } from '../../policies/index.js';
import { parseBody } from '../parse-body.js';
import { createRequestContext } from '../request-context.js';
import { retryHeaders, toGatewayError } from '../to-gateway-error.js';
import { convertFromAnthropicRequest } from './convert-from-anthropic-request.js';
import { messagesRequestSchema } from './messages-wire.js';
import { toAnthropicErrorBody } from './to-anthropic-error.js';
import { toAnthropicMessage } from './to-anthropic-message.js';
import { writeAnthropicStream } from './write-anthropic-stream.js';

export interface AnthropicRoutesOptions {
  inference: InferenceDependencies;
  onError: (error: GatewayError, requestId: string) => void;
}

export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** The Anthropic Messages API: POST /v1/messages, answered by any provider. */
export async function anthropicRoutes(app: FastifyInstance, options: AnthropicRoutesOptions): Promise<void> {
  app.setErrorHandler((error, request, reply) => {
    const gatewayError = toGatewayError(error, request.id);
    options.onError(gatewayError, request.id);
    if (gatewayError instanceof LimitExceededError) reply.headers(gatewayError.headers);
    reply.code(gatewayError.status).headers(retryHeaders(gatewayError)).header('request-id', request.id)
      .send(toAnthropicErrorBody(gatewayError, request.id));
  });

  app.post('/v1/messages', async (request, reply) => {
    reply.header('request-id', request.id);
    const body = parseBody(messagesRequestSchema, request.body);
    const versionHeader = request.headers['anthropic-version'];
    const version = typeof versionHeader === 'string' && versionHeader !== '' ? versionHeader : DEFAULT_ANTHROPIC_VERSION;
    const { request: chatRequest, untranslatable } = convertFromAnthropicRequest(body);
    const context = createRequestContext(request, reply, 'messages', chatRequest.user);
    const beta = request.headers['anthropic-beta'];
    const outcome = await handleMessages(options.inference, chatRequest, {
      format: 'anthropic',
      body,
      version,
      headers: beta === undefined ? {} : { 'anthropic-beta': Array.isArray(beta) ? beta.join(',') : beta },
      untranslatable: untranslatable ?? undefined,
    }, context);
    reply.headers(outcome.rateLimitHeaders);
    if (outcome.kind === 'completion') {
      const { result } = outcome;
      setRouteHeaders(reply, result.provider, result.model, outcome.attempts);
      return reply.type('application/json').send(result.native?.body ?? JSON.stringify(toAnthropicMessage(result.completion)));
    }
    const { stream } = outcome;
    const iterator = stream.chunks[Symbol.asyncIterator]();
    // Pull the first chunk before committing to a 200, so an early failure still gets a JSON error.
    const first = await iterator.next();
    // The use case already turns an empty stream into an error; this only narrows the type.
    if (first.done === true) throw new GatewayError('provider_error', `${stream.provider} ended the stream without output`);
    setRouteHeaders(reply, stream.provider, stream.model, outcome.attempts);
    reply.hijack();
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    await writeAnthropicStream(reply.raw, first.value, iterator, {
      requestId: request.id,
      onError: (error) => options.onError(toGatewayError(error, request.id), request.id),
    });
    return reply;
  });
}

function setRouteHeaders(reply: FastifyReply, provider: string, model: string, attempts: AttemptRecord[]): void {
  reply.header('x-sluice-provider', provider);
  reply.header('x-sluice-model', model);
  reply.header('x-sluice-attempts', String(attempts.length));
}
