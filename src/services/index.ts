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
export { createWinnerPromoter } from './experiments/promote-winner.js';
export type { PromotionDetails, WinnerPromoter } from './experiments/promote-winner.js';
export type { Actor, AppliedVariant, AssignmentContext, ExperimentLogger, ExperimentServiceOptions } from './experiments/experiment-service.js';
export { variantParamsSchema } from './experiments/experiment-definition.js';
export type { VariantParams } from './experiments/experiment-definition.js';
export type {
  ExperimentEvent, ExperimentPhase, ExperimentRecord, ExperimentStatus, ExperimentTargetKind, ExperimentVariant,
} from '../storage/index.js';
export { PROMPT_FIELDS, applyPrompt, parsePromptHeader, readPromptRequest } from './prompts/apply-prompt.js';
export type { PromptRequest, WireFormat } from './prompts/apply-prompt.js';
export { createPromptRegistry } from './prompts/create-prompt-registry.js';
export type { PromptRegistryLogger, PromptRegistrySettings } from './prompts/create-prompt-registry.js';
export { PromptDefinitionError, loadPromptDefinitions, parsePromptFile } from './prompts/load-prompt-definitions.js';
export { LABEL_NAME, PROMPT_NAME, promptDefinitionSchema, promptVersionInputSchema } from './prompts/prompt-definition.js';
export type { PromptDefinition, PromptVersionInput } from './prompts/prompt-definition.js';
export { PromptRegistry } from './prompts/prompt-registry.js';
export type { PromptReference, PromptRegistryHealth, PromptSummary, ResolvedPrompt } from './prompts/prompt-registry.js';
export { checkTemplate, renderTemplate, requireVariables } from './prompts/render-template.js';
export type { RenderResult, RenderedMessage } from './prompts/render-template.js';
export { diffVersions } from './prompts/diff-versions.js';
export type { VersionDiff } from './prompts/diff-versions.js';
export type { PromptLabelEvent, PromptTemplate, PromptUsageStats, PromptVersionRecord } from '../storage/index.js';
export * from './json/index.js';
export { SERVICE_NAME, serviceDefinitionSchema } from './service-definition.js';
export type { ServiceDefinition, ServiceDefinitionInput } from './service-definition.js';
export { checkServiceDefinition, checkServiceDefinitions } from './check-service-definitions.js';
export type { ServiceProblem } from './check-service-definitions.js';
export { ServiceCatalog, unknownService } from './service-catalog.js';
export type { ResolvedService, ServiceActor, ServiceCatalogOptions } from './service-catalog.js';
export { FIX_JSON } from './fix-json-service.js';
export { renderServiceTemplate } from './render-template.js';
export type { TemplateMessage } from './render-template.js';
