export * from './mock-reply.js';
export * from './mock-upstream.js';
export { defaultMockReply } from './default-mock-reply.js';
export { formatSseEvent } from './reply-writer.js';
export * from './openai-fixtures.js';
export * from './anthropic-fixtures.js';
export * from './gemini-fixtures.js';
