export { createLogger } from './create-logger.js';
export type { Logger, LoggerSettings } from './create-logger.js';
