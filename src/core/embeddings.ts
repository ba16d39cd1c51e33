import type { Usage } from './usage.js';

export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64' | undefined;
  dimensions?: number | undefined;
  user?: string | undefined;
}

export interface EmbeddingsResponse {
  object: 'list';
  model: string;
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface EmbeddingsResult {
  response: EmbeddingsResponse;
  /** The upstream's bytes, when they can be sent to the client unchanged. */
  body?: string | undefined;
  usage: Usage;
  provider: string;
  model: string;
}
