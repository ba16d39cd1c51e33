export { handleChatCompletion, modelNotFound } from './handle-chat-completion.js';
export type { ChatCompletionOptions, ChatOutcome, InferenceDependencies } from './handle-chat-completion.js';
export { handleEmbeddings } from './handle-embeddings.js';
export { handleMessages } from './handle-messages.js';
export type { RequestContext } from './request-context.js';
