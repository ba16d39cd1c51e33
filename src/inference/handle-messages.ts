import type { ChatRequest, IngressRequest } from '../core/index.js';
import { handleChatCompletion } from './handle-chat-completion.js';
import type { ChatOutcome, InferenceDependencies } from './handle-chat-completion.js';
import type { RequestContext } from './request-context.js';

/**
 * An Anthropic Messages request: routed like any chat completion (retries, fallbacks, every
 * provider), with the original body attached so an Anthropic target can pass it through; parts
 * with no OpenAI form (`ingress.untranslatable`) make every other target refuse it.
 */
export function handleMessages(
  dependencies: InferenceDependencies,
  request: ChatRequest,
  ingress: IngressRequest,
  context: RequestContext,
): Promise<ChatOutcome> {
  return handleChatCompletion(dependencies, request, context, { ingress });
}
