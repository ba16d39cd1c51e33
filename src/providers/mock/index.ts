export { MOCK_MODELS, createMockProvider } from './mock-provider.js';
