export { handleChatCompletion, modelNotFound } from './handle-chat-completion.js';
export type { ChatCompletionOptions, ChatOutcome, InferenceDependencies } from './handle-chat-completion.js';
export { handleEmbeddings } from './handle-embeddings.js';
export { handleMessages } from './handle-messages.js';
export { RequestLifecycle } from './request-lifecycle.js';
export type { CacheOutcome, LifecycleSettings, LoggedRequest, RecordedResult } from './request-lifecycle.js';
export { RequestLogQueries, scopeFor } from './request-log-queries.js';
export { GROUP_BY_FIELDS, TIME_BUCKETS } from '../storage/index.js';
export type {
  AnalyticsFilter, ErrorCodeCount, GroupByField, LogFilter, LogPage, RequestLogRow, SummaryGroup, TimeBucket, TimeseriesPoint,
  UserMonthCost,
} from '../storage/index.js';
export { ResponseState, createResponseState, ownerOf } from './response-state.js';
export type { ResponseStateSettings } from './response-state.js';
export { countInputTokens } from './count-input-tokens.js';
export type { InputTokenCount } from './count-input-tokens.js';
export { applyModelExperiment, applyVariant, assignExperiment } from './apply-experiment.js';
export type { ExperimentAssigner } from './apply-experiment.js';
export { runService } from './run-service.js';
export { hasHealingPlugin, healJsonAnswer, wantsJsonHealing } from './heal-json-answer.js';
export type { ServiceDependencies, ServiceErrorDetails, ServiceMeta, ServiceOutcome, ServiceRunRequest } from './run-service.js';
export { costBearingOptionsOf } from './cost-bearing-options.js';
export type { CostOptionPolicy } from './cost-bearing-options.js';
