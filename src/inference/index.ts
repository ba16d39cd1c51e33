export { handleChatCompletion, modelNotFound } from './handle-chat-completion.js';
export type { ChatOutcome, InferenceDependencies } from './handle-chat-completion.js';
export { handleEmbeddings } from './handle-embeddings.js';
export type { RequestContext } from './request-context.js';
