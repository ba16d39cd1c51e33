export * from './chat.js';
export * from './embeddings.js';
export * from './gateway-error.js';
export * from './gateway-event.js';
export * from './provider.js';
export * from './usage.js';
export * from './message-texts.js';
export * from './job-provider.js';
