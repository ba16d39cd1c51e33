import type { GatewayError } from '../../core/index.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

/** The OpenAI wire shape of an error: the body of a JSON answer or of an SSE error frame. */
export function toOpenAIErrorBody(error: GatewayError): OpenAIErrorBody {
  return { error: { message: error.message, type: error.type, code: error.code, param: error.param } };
}
