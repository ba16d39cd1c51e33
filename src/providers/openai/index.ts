export { createOpenAIProvider } from './openai-provider.js';
export type { OpenAIProviderSettings } from './openai-provider.js';
export { readOpenAIErrorBody } from './openai-errors.js';
