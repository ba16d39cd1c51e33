export * from './event-bus.js';
export * from './parse-json.js';
export * from './request-id.js';
export * from './retry-after.js';
export * from './secrets.js';
export * from './sse-parser.js';
export * from './clock.js';
export * from './duration.js';
