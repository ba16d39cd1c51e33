/** Prices in USD per million tokens. */
export interface ModelPrice {
  inputPerMtok: number;
  outputPerMtok: number;
  /** Prompt tokens read from the provider's cache; defaults to the input price. */
  cachedInputPerMtok?: number;
  /** Prompt tokens written to the provider's cache; defaults to the input price. */
  cacheWritePerMtok?: number;
}

export interface PriceEntry extends ModelPrice {
  /** Who sells it: `openai`, `anthropic`, `gemini`, or an OpenAI-compatible host. */
  vendor: string;
  /** The model id; dated snapshots (`gpt-4o-2024-08-06`) match their base id. */
  model: string;
}

/** When the list prices below were last checked against the vendors' pricing pages. */
export const PRICE_TABLE_DATE = '2025-10-01';

const openai: Array<[string, number, number, number?]> = [
  ['gpt-5', 1.25, 10, 0.125],
  ['gpt-5-mini', 0.25, 2, 0.025],
  ['gpt-5-nano', 0.05, 0.4, 0.005],
  ['gpt-5-chat-latest', 1.25, 10, 0.125],
  ['gpt-4.1', 2, 8, 0.5],
  ['gpt-4.1-mini', 0.4, 1.6, 0.1],
  ['gpt-4.1-nano', 0.1, 0.4, 0.025],
  ['gpt-4o', 2.5, 10, 1.25],
  ['gpt-4o-mini', 0.15, 0.6, 0.075],
  ['chatgpt-4o-latest', 5, 15],
  ['gpt-4-turbo', 10, 30],
  ['gpt-4', 30, 60],
  ['gpt-3.5-turbo', 0.5, 1.5],
  ['o1', 15, 60, 7.5],
  ['o1-mini', 1.1, 4.4, 0.55],
  ['o1-pro', 150, 600],
  ['o3', 2, 8, 0.5],
  ['o3-mini', 1.1, 4.4, 0.55],
  ['o3-pro', 20, 80],
  ['o4-mini', 1.1, 4.4, 0.275],
  ['text-embedding-3-small', 0.02, 0],
  ['text-embedding-3-large', 0.13, 0],
  ['text-embedding-ada-002', 0.1, 0],
];

// Anthropic: cache reads at 0.1× input, 5-minute cache writes at 1.25× input.
const anthropic: Array<[string, number, number]> = [
  ['claude-opus-4-5', 5, 25],
  ['claude-opus-4-1', 15, 75],
  ['claude-opus-4', 15, 75],
  ['claude-sonnet-4-5', 3, 15],
  ['claude-sonnet-4', 3, 15],
  ['claude-3-7-sonnet', 3, 15],
  ['claude-3-5-sonnet', 3, 15],
  ['claude-haiku-4-5', 1, 5],
  ['claude-3-5-haiku', 0.8, 4],
  ['claude-3-haiku', 0.25, 1.25],
  ['claude-3-opus', 15, 75],
];

// Gemini: prices for prompts up to 200k tokens (the long-context tier is dearer).
const gemini: Array<[string, number, number, number?]> = [
  ['gemini-2.5-pro', 1.25, 10, 0.125],
  ['gemini-2.5-flash', 0.3, 2.5, 0.03],
  ['gemini-2.5-flash-lite', 0.1, 0.4, 0.01],
  ['gemini-2.0-flash', 0.1, 0.4, 0.025],
  ['gemini-2.0-flash-lite', 0.075, 0.3],
  ['gemini-1.5-pro', 1.25, 5],
  ['gemini-1.5-flash', 0.075, 0.3],
  ['gemini-embedding-001', 0.15, 0],
  ['text-embedding-004', 0, 0],
];

// Common OpenAI-compatible hosts, under the model ids they publish.
const hosts: Array<[string, string, number, number, number?]> = [
  ['groq', 'llama-3.3-70b-versatile', 0.59, 0.79],
  ['groq', 'llama-3.1-8b-instant', 0.05, 0.08],
  ['groq', 'openai/gpt-oss-120b', 0.15, 0.75],
  ['groq', 'openai/gpt-oss-20b', 0.1, 0.5],
  ['mistral', 'mistral-large-latest', 2, 6],
  ['mistral', 'mistral-medium-latest', 0.4, 2],
  ['mistral', 'mistral-small-latest', 0.1, 0.3],
  ['mistral', 'codestral-latest', 0.3, 0.9],
  ['deepseek', 'deepseek-chat', 0.27, 1.1, 0.07],
  ['deepseek', 'deepseek-reasoner', 0.55, 2.19, 0.14],
  ['together', 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 0.88, 0.88],
  ['together', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', 0.18, 0.18],
  ['together', 'deepseek-ai/DeepSeek-V3', 1.25, 1.25],
  ['perplexity', 'sonar', 1, 1],
  ['perplexity', 'sonar-pro', 3, 15],
  ['xai', 'grok-4', 3, 15, 0.75],
  ['xai', 'grok-3-mini', 0.3, 0.5, 0.075],
];

/** The built-in price table, dated PRICE_TABLE_DATE; config `models[].pricing` overrides it. */
export const PRICE_TABLE: readonly PriceEntry[] = Object.freeze([
  ...openai.map(([model, input, output, cached]) => ({
    vendor: 'openai', model, inputPerMtok: input, outputPerMtok: output, ...(cached === undefined ? {} : { cachedInputPerMtok: cached }),
  })),
  ...anthropic.map(([model, input, output]) => ({
    vendor: 'anthropic', model, inputPerMtok: input, outputPerMtok: output,
    cachedInputPerMtok: round(input * 0.1), cacheWritePerMtok: round(input * 1.25),
  })),
  ...gemini.map(([model, input, output, cached]) => ({
    vendor: 'gemini', model, inputPerMtok: input, outputPerMtok: output, ...(cached === undefined ? {} : { cachedInputPerMtok: cached }),
  })),
  ...hosts.map(([vendor, model, input, output, cached]) => ({
    vendor, model, inputPerMtok: input, outputPerMtok: output, ...(cached === undefined ? {} : { cachedInputPerMtok: cached }),
  })),
]);

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
