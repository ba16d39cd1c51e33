export * from './upstream-client.js';
export * from './multipart-body.js';
export * from './content-of.js';
