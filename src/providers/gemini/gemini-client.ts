import { UpstreamClient } from '../upstream/index.js';
import type { GeminiProviderSettings } from './gemini-provider.js';

/** What a Gemini Developer API connection needs (the chat and the job providers share it). */
export type GeminiClientSettings = Pick<GeminiProviderSettings, 'name' | 'baseUrl' | 'apiKey' | 'headers' | 'timeoutMs' | 'maxConnections'>;

/** One upstream client for the Gemini Developer API, keyed with `x-goog-api-key`. */
export function createGeminiClient(settings: GeminiClientSettings): UpstreamClient {
  return new UpstreamClient({
    provider: settings.name,
    baseUrl: settings.baseUrl,
    headers: { ...(settings.apiKey ? { 'x-goog-api-key': settings.apiKey } : {}), ...settings.headers },
    timeoutMs: settings.timeoutMs,
    maxConnections: settings.maxConnections,
  });
}

/** `/v1beta/models/{id}:{method}`; Gemini's own model names read "models/gemini-…", and both spellings work. */
export function geminiModelPath(model: string, method: string): string {
  const id = model.startsWith('models/') ? model.slice('models/'.length) : model;
  return `/v1beta/models/${encodeURIComponent(id)}:${method}`;
}
