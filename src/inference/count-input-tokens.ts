import { GatewayError } from '../core/index.js';
import type { ChatRequest, IngressRequest } from '../core/index.js';
import { estimateChatUsage } from '../pricing/index.js';
import type { InferenceDependencies } from './handle-chat-completion.js';
import { modelNotFound } from './handle-chat-completion.js';
import type { RequestLifecycle } from './request-lifecycle.js';

export interface InputTokenCount {
  inputTokens: number;
  /** True when the upstream counted them; false for Sluice's own estimate. */
  exact: boolean;
}

/**
 * Counts a request's input tokens. The model's first target counts them when its vendor can
 * (Anthropic's count_tokens, exact); otherwise, or when that call fails, Sluice estimates with
 * its tokenizer and says so. Counting is free: no limits are taken and the log row costs 0.
 */
export async function countInputTokens(
  dependencies: InferenceDependencies,
  lifecycle: RequestLifecycle,
  request: ChatRequest,
  ingress?: IngressRequest,
): Promise<InputTokenCount> {
  lifecycle.requestedModel = request.model;
  if (dependencies.models.resolve(request.model) === null) throw modelNotFound(request.model);
  const allowed = lifecycle.principal?.allowedModels ?? null;
  if (allowed !== null && !allowed.includes(request.model)) {
    throw new GatewayError('model_not_allowed', `This key may not use the model \`${request.model}\`.`, { param: 'model' });
  }
  const target = dependencies.models.firstTarget(request.model);
  let count: InputTokenCount | null = null;
  if (target !== null && target.provider.countTokens !== undefined) {
    lifecycle.provider = target.provider.name;
    lifecycle.providerModel = target.model;
    try {
      count = { inputTokens: await target.provider.countTokens({ ...request, model: target.model }, lifecycle.callContext(ingress)), exact: true };
    } catch (error) {
      if (lifecycle.signal.aborted) throw error;
    }
  }
  count ??= { inputTokens: estimateChatUsage(request, '').promptTokens, exact: false };
  lifecycle.succeed({ provider: target?.provider.name ?? 'sluice', model: target?.model ?? request.model, usage: null });
  return count;
}
