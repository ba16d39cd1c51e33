export { createMockProvider, MOCK_MODELS } from './mock/index.js';
export { createOpenAIProvider } from './openai/index.js';
export type { OpenAIProviderSettings } from './openai/index.js';
