export { ANTHROPIC_WIRE } from './anthropic-wire-format.js';
