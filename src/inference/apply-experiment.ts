import type { ChatRequest } from '../core/index.js';
import { variantParamsSchema } from '../services/index.js';
import type { AppliedVariant, AssignmentContext } from '../services/index.js';
import type { ExperimentTargetKind } from '../storage/index.js';
import type { RequestLifecycle } from './request-lifecycle.js';

/** What the request path needs of experiments: an assignment for a target. */
export interface ExperimentAssigner {
  assign(kind: ExperimentTargetKind, name: string, context: AssignmentContext): AppliedVariant | null;
}

/**
 * Assigns a chat request to a running experiment on its public model and returns the request the
 * variant asks for (its model, its parameters). The exposure is recorded on the lifecycle at once,
 * before routing, so a request that then fails or falls back still counts for its variant (intent
 * to treat). A pin (`x-sluice-variant`) counts only from keys allowed to pin; the shell drops it
 * otherwise.
 */
export function applyModelExperiment(experiments: ExperimentAssigner | undefined, lifecycle: RequestLifecycle, request: ChatRequest): ChatRequest {
  if (experiments === undefined) return request;
  const applied = experiments.assign('model', request.model, {
    endUser: lifecycle.endUser,
    session: lifecycle.session ?? lifecycle.metadata?.session_id ?? null,
    keyId: lifecycle.principal?.keyId ?? null,
    principalLabel: lifecycle.principal?.label ?? null,
    pinnedVariant: lifecycle.pinnedVariant,
  });
  if (applied === null) return request;
  lifecycle.experiment = applied;
  const variant = applied.variant;
  if (variant.model === undefined && variant.params === undefined) return request;
  // Only sampling and length parameters, as the definition allowed: never the messages or tools.
  const params = variant.params === undefined ? {} : variantParamsSchema.parse(variant.params);
  return { ...request, ...params, model: variant.model ?? request.model };
}
