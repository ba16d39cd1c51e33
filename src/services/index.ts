export { assignVariant, bucketOf, hashUnit, pickByWeight, unitValueOf } from './experiments/assign-variant.js';
export type { AssignableExperiment, Assignment, AssignmentMode, UnitSources } from './experiments/assign-variant.js';
export { decodeExposure, encodeExposure, exposurePrefix } from './experiments/exposure.js';
export type { Exposure } from './experiments/exposure.js';
export {
  EXPERIMENT_METRICS, EXPERIMENT_NAME, FEEDBACK_METRIC, GUARDRAIL_METRICS, configExperimentSchema, feedbackSchema, experimentCreateSchema, experimentStopSchema,
  experimentUpdateSchema,
} from './experiments/experiment-definition.js';
export type { ConfigExperiment, ExperimentCreateInput, ExperimentUpdateInput } from './experiments/experiment-definition.js';
export { SRM_P_VALUE, computeResults } from './experiments/experiment-results.js';
export type { Comparison, ExperimentResults, GuardrailCheck, ResultsInput, VariantResult } from './experiments/experiment-results.js';
export { ExperimentService } from './experiments/experiment-service.js';
export type { Actor, AppliedVariant, AssignmentContext, ExperimentLogger, ExperimentServiceOptions } from './experiments/experiment-service.js';
export { variantParamsSchema } from './experiments/experiment-definition.js';
export type { VariantParams } from './experiments/experiment-definition.js';
export type {
  ExperimentEvent, ExperimentPhase, ExperimentRecord, ExperimentStatus, ExperimentTargetKind, ExperimentVariant,
} from '../storage/index.js';
