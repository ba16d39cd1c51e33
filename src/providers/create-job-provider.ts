import type { JobKind, JobProvider } from '../core/index.js';
import { createGeminiImageJobProvider, createGeminiVideoJobProvider } from './gemini/index.js';
import { createMockJobProvider } from './mock/index.js';
import { createOpenAIImageJobProvider, createOpenAIVideoJobProvider } from './openai/index.js';

export interface JobProviderSettings {
  type: 'openai' | 'anthropic' | 'gemini' | 'mock';
  name: string;
  baseUrl: string | undefined;
  apiKey: string | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
  maxConnections: number;
}

/** The job adapter for a configured provider and a kind; null when that vendor makes no such thing here. */
export function createJobProvider(settings: JobProviderSettings, kind: JobKind): JobProvider | null {
  switch (settings.type) {
    case 'mock':
      return createMockJobProvider({ name: settings.name });
    case 'openai': {
      const options = { ...settings, baseUrl: settings.baseUrl ?? 'https://api.openai.com/v1' };
      return kind === 'video' ? createOpenAIVideoJobProvider(options) : createOpenAIImageJobProvider(options);
    }
    case 'gemini': {
      const options = { ...settings, baseUrl: settings.baseUrl ?? 'https://generativelanguage.googleapis.com' };
      return kind === 'video' ? createGeminiVideoJobProvider(options) : createGeminiImageJobProvider(options);
    }
    case 'anthropic':
      return null;
  }
}
