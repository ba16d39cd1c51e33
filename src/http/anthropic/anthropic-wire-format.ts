import type { WireFormat } from '../wire-format.js';
import { toAnthropicErrorBody } from './to-anthropic-error.js';

/** The Anthropic Messages API: its error shape, and the `request-id` header its SDK reads. */
export const ANTHROPIC_WIRE: WireFormat = {
  name: 'anthropic',
  errorBody: (error, requestId) => toAnthropicErrorBody(error, requestId),
  ownHeaders: (requestId) => ({ 'request-id': requestId }),
};
