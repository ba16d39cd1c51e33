export { assignVariant, bucketOf, hashUnit, pickByWeight, unitValueOf } from './experiments/assign-variant.js';
export type { AssignableExperiment, Assignment, AssignmentMode, UnitSources } from './experiments/assign-variant.js';
export { decodeExposure, encodeExposure, exposurePrefix } from './experiments/exposure.js';
export type { Exposure } from './experiments/exposure.js';
export {
  EXPERIMENT_METRICS, EXPERIMENT_NAME, GUARDRAIL_METRICS, configExperimentSchema, experimentCreateSchema, experimentStopSchema,
  experimentUpdateSchema,
} from './experiments/experiment-definition.js';
export type { ConfigExperiment, ExperimentCreateInput, ExperimentUpdateInput } from './experiments/experiment-definition.js';
export { SRM_P_VALUE, computeResults } from './experiments/experiment-results.js';
export type { Comparison, ExperimentResults, GuardrailCheck, ResultsInput, VariantResult } from './experiments/experiment-results.js';
