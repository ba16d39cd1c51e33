import type { ChatRequest } from '../core/index.js';
import { handleChatCompletion } from './handle-chat-completion.js';
import type { ChatOutcome, InferenceDependencies } from './handle-chat-completion.js';
import type { RequestContext } from './request-context.js';

/**
 * An Anthropic Messages request: routed like any chat completion (retries, fallbacks, every
 * provider), with the original body attached so an Anthropic target can pass it through.
 */
export function handleMessages(
  dependencies: InferenceDependencies,
  request: ChatRequest,
  original: Readonly<Record<string, unknown>>,
  anthropicVersion: string,
  context: RequestContext,
): Promise<ChatOutcome> {
  return handleChatCompletion(dependencies, request, context, {
    ingress: { format: 'anthropic', body: original, version: anthropicVersion },
  });
}
