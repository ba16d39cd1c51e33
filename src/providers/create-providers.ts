import type { Provider } from '../core/index.js';
import { createAnthropicProvider } from './anthropic/index.js';
import { createGeminiProvider } from './gemini/index.js';
import { createMockProvider } from './mock/index.js';
import { createOpenAIProvider } from './openai/index.js';

/** One configured upstream: the `providers[]` entry of the config, in its own spelling. */
export interface ProviderSettings {
  name: string;
  type: 'openai' | 'anthropic' | 'gemini' | 'mock';
  base_url?: string | undefined;
  api_key?: string | undefined;
  headers: Readonly<Record<string, string>>;
  timeout_ms: number;
  max_connections: number;
  anthropic_version?: string | undefined;
  default_max_tokens?: number | undefined;
  max_tokens_field?: 'max_completion_tokens' | 'max_tokens' | undefined;
}

export type ClosableProvider = Provider & { close?: () => Promise<void> };

const DEFAULT_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
} as const;

/** Every configured provider by name, each with its own connection pool. */
export function createProviders(settings: readonly ProviderSettings[]): Map<string, ClosableProvider> {
  return new Map(settings.map((provider) => [provider.name, createProvider(provider)]));
}

function createProvider(settings: ProviderSettings): ClosableProvider {
  const common = {
    name: settings.name,
    apiKey: settings.api_key,
    headers: settings.headers,
    timeoutMs: settings.timeout_ms,
    maxConnections: settings.max_connections,
  };
  switch (settings.type) {
    case 'openai':
      return createOpenAIProvider({ ...common, baseUrl: settings.base_url ?? DEFAULT_BASE_URLS.openai, maxTokensField: settings.max_tokens_field });
    case 'mock':
      return createMockProvider({ name: settings.name });
    case 'anthropic':
      return createAnthropicProvider({
        ...common,
        baseUrl: settings.base_url ?? DEFAULT_BASE_URLS.anthropic,
        version: settings.anthropic_version,
        defaultMaxTokens: settings.default_max_tokens,
      });
    case 'gemini':
      return createGeminiProvider({ ...common, baseUrl: settings.base_url ?? DEFAULT_BASE_URLS.gemini });
  }
}
