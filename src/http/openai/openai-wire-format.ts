import type { WireFormat } from '../wire-format.js';
import { toOpenAIErrorBody } from './to-openai-error.js';

const NONE: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The OpenAI API: its error shape, and nothing of its own on every answer. */
export const OPENAI_WIRE: WireFormat = {
  name: 'openai',
  errorBody: (error) => toOpenAIErrorBody(error),
  ownHeaders: () => NONE,
};
