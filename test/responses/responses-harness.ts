import OpenAI from 'openai';
import type { ConfigInput } from '../../src/config/index.js';
import type { RequestSummary } from '../../src/core/index.js';
import { startMockUpstream } from '../mock-upstream/index.js';
import type { MockUpstream } from '../mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from '../support/start-gateway.js';
import type { TestGateway } from '../support/start-gateway.js';

export interface ResponsesHarness {
  gateway: TestGateway;
  upstream: MockUpstream;
  openai: OpenAI;
  /** Every request-end summary, in order. */
  summaries: RequestSummary[];
  close(): Promise<void>;
}

/**
 * A gateway with an OpenAI-, an Anthropic- and a Gemini-typed provider, all pointing at one
 * scripted mock upstream, and a `chain` model that falls back from Anthropic to Gemini.
 */
export async function startResponsesHarness(overrides: Partial<ConfigInput> = {}, upstreamArgument?: MockUpstream): Promise<ResponsesHarness> {
  const upstream = upstreamArgument ?? await startMockUpstream();
  const gateway = await startTestGateway({
    environment: 'development',
    logging: { level: 'silent' },
    providers: [
      { name: 'oai', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-openai' },
      { name: 'claude', type: 'anthropic', base_url: upstream.url, api_key: 'sk-upstream-anthropic' },
      { name: 'google', type: 'gemini', base_url: upstream.url, api_key: 'upstream-gemini-key' },
    ],
    models: [
      {
        name: 'chain', strategy: 'fallback', retry: { max_attempts: 1 }, circuit_breaker: { failure_threshold: 1000 },
        targets: [{ provider: 'claude', model: 'claude-test' }, { provider: 'google', model: 'gemini-test' }],
      },
    ],
    ...overrides,
  });
  const summaries: RequestSummary[] = [];
  gateway.gateway.events.subscribe((event) => {
    if (event.type === 'request-end') summaries.push(event.summary);
  });
  const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
  return {
    gateway,
    upstream,
    openai,
    summaries,
    async close() {
      await gateway.close();
      if (upstreamArgument === undefined) await upstream.close();
    },
  };
}
