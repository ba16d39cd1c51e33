export { createAnthropicProvider } from './anthropic/index.js';
export type { AnthropicProviderSettings } from './anthropic/index.js';
export { createGeminiProvider } from './gemini/index.js';
export type { GeminiProviderSettings } from './gemini/index.js';
export { createMockProvider, MOCK_MODELS } from './mock/index.js';
export { createOpenAIProvider } from './openai/index.js';
export type { OpenAIProviderSettings } from './openai/index.js';
export { createProviders } from './create-providers.js';
export type { ClosableProvider, ProviderSettings } from './create-providers.js';
