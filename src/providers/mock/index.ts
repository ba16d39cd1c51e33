export { MOCK_MODELS, createMockProvider } from './mock-provider.js';
export { MOCK_IMAGE_BYTES, MOCK_JOB_MODELS, MOCK_VIDEO_BYTES, createMockJobProvider } from './mock-job-provider.js';
