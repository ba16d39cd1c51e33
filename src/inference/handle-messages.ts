import type { CacheControls } from '../cache/index.js';
import type { ChatRequest, IngressRequest } from '../core/index.js';
import { handleChatCompletion } from './handle-chat-completion.js';
import type { ChatOutcome, InferenceDependencies } from './handle-chat-completion.js';
import type { RequestLifecycle } from './request-lifecycle.js';

/**
 * An Anthropic Messages request: routed like any chat completion (retries, fallbacks, every
 * provider), with the original body attached so an Anthropic target can pass it through; parts
 * with no OpenAI form (`ingress.untranslatable`) make every other target refuse it.
 */
export function handleMessages(
  dependencies: InferenceDependencies,
  lifecycle: RequestLifecycle,
  request: ChatRequest,
  ingress: IngressRequest,
  cacheControls?: CacheControls,
): Promise<ChatOutcome> {
  return handleChatCompletion(dependencies, lifecycle, request, { ingress, cacheControls });
}
