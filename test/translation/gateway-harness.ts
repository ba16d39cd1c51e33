import { resolveConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/main.js';
import type { Gateway } from '../../src/main.js';
import { createLogger } from '../../src/observability/index.js';
import { startMockUpstream } from '../mock-upstream/index.js';
import type { MockUpstream } from '../mock-upstream/index.js';

export const MASTER_KEY = 'sk-test-master-key';

export interface TranslationHarness {
  gateway: Gateway;
  upstream: MockUpstream;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  close(): Promise<void>;
}

/** A gateway with one provider of each kind, all pointing at one scripted mock upstream. */
export async function startTranslationHarness(options: { anthropicVersion?: string } = {}): Promise<TranslationHarness> {
  const upstream = await startMockUpstream();
  const resolved = resolveConfig({
    environment: 'development',
    auth: { master_key: MASTER_KEY },
    logging: { level: 'silent' },
    providers: [
      { name: 'oai', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-openai' },
      { name: 'claude', type: 'anthropic', base_url: upstream.url, api_key: 'sk-upstream-anthropic', anthropic_version: options.anthropicVersion ?? '2023-06-01' },
      { name: 'google', type: 'gemini', base_url: upstream.url, api_key: 'upstream-gemini-key' },
      { name: 'mock', type: 'mock' },
    ],
    models: [
      // Anthropic first; an OpenAI-compatible target when it fails (one attempt each, so the
      // scripted failures are not retried away).
      {
        name: 'smart', strategy: 'fallback', retry: { max_attempts: 1 },
        targets: [{ provider: 'claude', model: 'claude-sonnet-4-5' }, { provider: 'oai', model: 'gpt-test' }],
      },
      // One Anthropic attempt and no breaker: for tests that inspect how an upstream failure is reported.
      {
        name: 'claude-once', retry: { max_attempts: 1 }, circuit_breaker: { failure_threshold: 1000 },
        targets: [{ provider: 'claude', model: 'claude-x' }],
      },
    ],
  });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  const gateway = await createGateway(resolved.config, { logger: createLogger({ level: 'silent', pretty: false }) });
  const baseUrl = await gateway.listen({ host: '127.0.0.1', port: 0 });
  return {
    gateway,
    upstream,
    baseUrl,
    async close() {
      await gateway.close();
      await upstream.close();
    },
  };
}
