import type { FastifyInstance } from 'fastify';
import { takeCacheControls } from '../../cache/index.js';
import { handleMessages } from '../../inference/index.js';
import type { InferenceDependencies } from '../../inference/index.js';
import { registerInferenceRoute } from '../inference-shell.js';
import type { ShellDependencies } from '../inference-shell.js';
import { parseBody } from '../parse-body.js';
import { ANTHROPIC_WIRE } from './anthropic-wire-format.js';
import { convertFromAnthropicRequest } from './convert-from-anthropic-request.js';
import { messagesRequestSchema } from './messages-wire.js';
import { toAnthropicMessage } from './to-anthropic-message.js';
import { writeAnthropicStream } from './write-anthropic-stream.js';

export interface AnthropicRoutesOptions {
  inference: InferenceDependencies;
  shell: ShellDependencies;
}

export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** The Anthropic Messages API: POST /v1/messages, answered by any provider. */
export async function anthropicRoutes(app: FastifyInstance, options: AnthropicRoutesOptions): Promise<void> {
  const { inference, shell } = options;

  registerInferenceRoute(app, shell, {
    url: '/v1/messages',
    endpoint: 'messages',
    wire: ANTHROPIC_WIRE,
    parse: (body) => parseBody(messagesRequestSchema, body),
    endUserOf: (body) => (body.metadata?.user_id === '' ? null : body.metadata?.user_id),
    async run(lifecycle, parsed, request) {
      const { body, controls } = takeCacheControls(request.headers, parsed, inference.cache?.clientControls ?? false);
      const versionHeader = request.headers['anthropic-version'];
      const version = typeof versionHeader === 'string' && versionHeader !== '' ? versionHeader : DEFAULT_ANTHROPIC_VERSION;
      const { request: chatRequest, untranslatable } = convertFromAnthropicRequest(body);
      const beta = request.headers['anthropic-beta'];
      const outcome = await handleMessages(inference, lifecycle, chatRequest, {
        format: 'anthropic',
        body,
        version,
        headers: beta === undefined ? {} : { 'anthropic-beta': Array.isArray(beta) ? beta.join(',') : beta },
        untranslatable: untranslatable ?? undefined,
      }, controls);
      if (outcome.kind === 'completion') {
        const { result } = outcome;
        return {
          kind: 'json',
          body: result.native?.body ?? JSON.stringify(toAnthropicMessage(result.readCompletion())),
          staticFallback: result.staticFallback !== undefined,
        };
      }
      return { kind: 'stream', stream: outcome.stream, write: writeAnthropicStream };
    },
  });
}
