import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { takeCacheControls } from '../../cache/index.js';
import { countInputTokens, handleMessages } from '../../inference/index.js';
import type { InferenceDependencies } from '../../inference/index.js';
import { estimateChatInput } from '../../policies/index.js';
import { registerInferenceRoute } from '../inference-shell.js';
import type { ShellDependencies } from '../inference-shell.js';
import { parseBody } from '../parse-body.js';
import { ANTHROPIC_WIRE } from './anthropic-wire-format.js';
import { convertFromAnthropicRequest } from './convert-from-anthropic-request.js';
import { countTokensRequestSchema, messagesRequestSchema } from './messages-wire.js';
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
    url: '/v1/messages/count_tokens',
    endpoint: 'messages.count_tokens',
    wire: ANTHROPIC_WIRE,
    parse: (body) => parseBody(countTokensRequestSchema, body),
    async run(lifecycle, body, request) {
      // The cap does not change the count; the translation only needs one.
      const { request: chatRequest } = convertFromAnthropicRequest({ ...body, max_tokens: body.max_tokens ?? 1 });
      const count = await countInputTokens(inference, lifecycle, chatRequest, {
        format: 'anthropic', body, version: anthropicVersion(request.headers), headers: betaHeaders(request.headers),
      });
      return {
        kind: 'json',
        body: JSON.stringify({ input_tokens: count.inputTokens }),
        staticFallback: false,
        // Anthropic targets count exactly; for others Sluice estimates, and says so.
        headers: { 'x-sluice-token-count': count.exact ? 'exact' : 'estimate' },
      };
    },
  });

  registerInferenceRoute(app, shell, {
    url: '/v1/messages',
    endpoint: 'messages',
    wire: ANTHROPIC_WIRE,
    prompts: 'anthropic',
    parse: (body) => parseBody(messagesRequestSchema, body),
    endUserOf: (body) => (body.metadata?.user_id === '' ? null : body.metadata?.user_id),
    async run(lifecycle, parsed, request) {
      const { body, controls } = takeCacheControls(request.headers, parsed, inference.cache?.clientControls ?? false);
      const { request: chatRequest, untranslatable } = convertFromAnthropicRequest(body);
      const outcome = await handleMessages(inference, lifecycle, chatRequest, {
        format: 'anthropic',
        body,
        version: anthropicVersion(request.headers),
        headers: betaHeaders(request.headers),
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
      return {
        kind: 'stream',
        stream: outcome.stream,
        write: (response, first, rest, writeOptions) => writeAnthropicStream(response, first, rest, {
          ...writeOptions, inputTokens: () => estimateChatInput(chatRequest).tokens,
        }),
      };
    },
  });
}

function anthropicVersion(headers: IncomingHttpHeaders): string {
  const value = headers['anthropic-version'];
  return typeof value === 'string' && value !== '' ? value : DEFAULT_ANTHROPIC_VERSION;
}

/** Client headers a native Anthropic upstream should see. */
function betaHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const beta = headers['anthropic-beta'];
  return beta === undefined ? {} : { 'anthropic-beta': Array.isArray(beta) ? beta.join(',') : beta };
}
