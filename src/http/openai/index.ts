export { OPENAI_WIRE } from './openai-wire-format.js';
