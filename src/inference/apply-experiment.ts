import type { ChatRequest } from '../core/index.js';
import { variantParamsSchema } from '../services/index.js';
import type { AppliedVariant, AssignmentContext, ExperimentVariant } from '../services/index.js';
import type { ExperimentTargetKind } from '../storage/index.js';
import type { RequestLifecycle } from './request-lifecycle.js';

/** What the request path needs of experiments: an assignment for a target. */
export interface ExperimentAssigner {
  assign(kind: ExperimentTargetKind, name: string, context: AssignmentContext): AppliedVariant | null;
}

/**
 * Assigns a request to the experiment running on a target (a public model, a registry prompt or a
 * service) and records the exposure on the lifecycle at once, before routing, so a request that
 * then fails or falls back still counts for its variant (intent to treat). One experiment per
 * request: the first target that has one wins (a prompt's before its model's). A pin
 * (`x-sluice-variant`) counts only from keys allowed to pin; the shell drops it otherwise.
 */
export function assignExperiment(
  experiments: ExperimentAssigner | undefined, lifecycle: RequestLifecycle, kind: ExperimentTargetKind, name: string,
): AppliedVariant | null {
  if (experiments === undefined || lifecycle.experiment !== null) return null;
  const applied = experiments.assign(kind, name, {
    endUser: lifecycle.endUser,
    session: lifecycle.session ?? lifecycle.metadata?.session_id ?? null,
    keyId: lifecycle.principal?.keyId ?? null,
    principalLabel: lifecycle.principal?.label ?? null,
    pinnedVariant: lifecycle.pinnedVariant,
  });
  if (applied !== null) lifecycle.experiment = applied;
  return applied;
}

/**
 * The request a variant asks for: its model and its parameters on top of the request. Only
 * sampling and length parameters, as the definition allowed: never the messages or tools.
 */
export function applyVariant(request: ChatRequest, variant: ExperimentVariant): ChatRequest {
  if (variant.model === undefined && variant.params === undefined) return request;
  const params = variant.params === undefined ? {} : variantParamsSchema.parse(variant.params);
  return { ...request, ...params, model: variant.model ?? request.model };
}

/**
 * A chat request's experiment: the one already assigned on its registry prompt, else one running
 * on its public model. Returns the request the variant asks for.
 */
export function applyModelExperiment(experiments: ExperimentAssigner | undefined, lifecycle: RequestLifecycle, request: ChatRequest): ChatRequest {
  const applied = lifecycle.experiment ?? assignExperiment(experiments, lifecycle, 'model', request.model);
  return applied === null ? request : applyVariant(request, applied.variant);
}
