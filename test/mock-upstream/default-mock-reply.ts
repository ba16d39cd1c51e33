/** The built-in answer used when nothing is queued or routed for a path. */
import type { MockReply, RecordedRequest } from './mock-reply.js';
import {
  DEFAULT_MOCK_MODEL,
  openaiCompletion,
  openaiEmbeddings,
  openaiError,
  openaiModels,
  openaiStream,
} from './openai-fixtures.js';

const MOCK_VECTOR = [0.1, 0.2, 0.3];
const MOCK_USAGE = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
const MODELS_REPLY = openaiModels();

export function defaultMockReply(request: RecordedRequest): MockReply {
  const body = isRecord(request.body) ? request.body : {};
  if (request.method === 'POST' && request.path.endsWith('/chat/completions')) return chatReply(body);
  if (request.method === 'POST' && request.path.endsWith('/embeddings')) return embeddingsReply(body);
  if (request.method === 'GET' && request.path.endsWith('/models')) return MODELS_REPLY;
  return openaiError(404, 'not found', { type: 'invalid_request_error', code: null });
}

function chatReply(body: Record<string, unknown>): MockReply {
  const model = typeof body.model === 'string' ? body.model : DEFAULT_MOCK_MODEL;
  if (body.stream !== true) return openaiCompletion({ model, usage: MOCK_USAGE });
  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  return openaiStream({ model, usage: includeUsage ? MOCK_USAGE : null });
}

function embeddingsReply(body: Record<string, unknown>): MockReply {
  const count = countEmbeddingInputs(body.input);
  const vectors = Array.from({ length: count }, () => MOCK_VECTOR);
  const options: { promptTokens: number; encoding: 'float' | 'base64'; model?: string } = {
    promptTokens: count,
    encoding: body.encoding_format === 'base64' ? 'base64' : 'float',
  };
  if (typeof body.model === 'string') options.model = body.model;
  return openaiEmbeddings(vectors, options);
}

/** A string or a single token array is one input; any other array holds one input per element. */
function countEmbeddingInputs(input: unknown): number {
  if (!Array.isArray(input)) return 1;
  if (input.length > 0 && input.every((item) => typeof item === 'number')) return 1;
  return input.length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
