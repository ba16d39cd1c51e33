export { createOpenAIProvider } from './openai-provider.js';
export type { OpenAIProviderSettings } from './openai-provider.js';
export { readOpenAIErrorBody } from './openai-errors.js';
export { createOpenAIImageJobProvider } from './openai-image-job-provider.js';
export { createOpenAIVideoJobProvider, mapVideoStatus } from './openai-video-job-provider.js';
