/**
 * Black-box: success, 429, 500, fallback and streaming traffic through a real gateway and a real
 * mock upstream, then exact values read back from GET /metrics and the scrape checked by promtool.
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiCompletion, openaiError, openaiStream, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream, RecordedRequest } from './mock-upstream/index.js';
import { parsePrometheusText, promtoolCheckMetrics, sumOf } from './support/prometheus-text.js';
import type { Sample } from './support/prometheus-text.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const messages: Array<{ role: 'user'; content: string }> = [{ role: 'user', content: 'hi' }];
const usage = { prompt_tokens: 5, completion_tokens: 3 };

function reply(request: RecordedRequest) {
  const body = request.body as { model: string; stream?: boolean };
  if (body.model === 'gpt-429') return openaiError(429, 'slow down');
  if (body.model === 'gpt-500' || body.model === 'gpt-fail') return openaiError(500, 'boom');
  return body.stream === true ? openaiStream({ model: body.model, usage }) : openaiCompletion({ model: body.model, usage });
}

describe('GET /metrics after real traffic', () => {
  let upstream: MockUpstream;
  let test: TestGateway;
  let client: OpenAI;
  let scrape: string;
  let samples: Sample[];

  beforeAll(async () => {
    upstream = await startMockUpstream();
    upstream.route('/v1/chat/completions', reply);
    const pricing = { input_per_mtok: 1, output_per_mtok: 2 };
    const retry = { max_attempts: 1 };
    test = await startTestGateway({
      logging: { level: 'silent', request_log: { enabled: false } },
      health: { min_requests: 1 },
      providers: [
        { name: 'primary', type: 'openai', base_url: `${upstream.url}/v1` },
        { name: 'backup', type: 'openai', base_url: `${upstream.url}/v1` },
      ],
      models: [
        { name: 'smart', targets: [{ provider: 'primary', model: 'gpt-a' }], retry, pricing },
        { name: 'limited', targets: [{ provider: 'primary', model: 'gpt-429' }], retry },
        { name: 'broken', targets: [{ provider: 'primary', model: 'gpt-500' }], retry },
        { name: 'resilient', targets: [{ provider: 'primary', model: 'gpt-fail' }, { provider: 'backup', model: 'gpt-b' }], retry },
      ],
    });
    client = new OpenAI({ apiKey: TEST_MASTER_KEY, baseURL: `${test.url}/v1`, maxRetries: 0 });

    await client.chat.completions.create({ model: 'smart', messages });
    await client.chat.completions.create({ model: 'smart', messages });
    const stream = await client.chat.completions.create({ model: 'smart', messages, stream: true, stream_options: { include_usage: true } });
    for await (const _chunk of stream) { /* drain */ }
    await expect(client.chat.completions.create({ model: 'limited', messages })).rejects.toMatchObject({ status: 429 });
    await expect(client.chat.completions.create({ model: 'broken', messages })).rejects.toBeInstanceOf(APIError);
    await client.chat.completions.create({ model: 'resilient', messages });
    await expect(client.chat.completions.create({ model: 'no-such-model', messages })).rejects.toMatchObject({ status: 404 });

    scrape = await (await fetch(`${test.url}/metrics`)).text();
    samples = parsePrometheusText(scrape);
  });

  afterAll(async () => {
    await test.close();
    await upstream.close();
  });

  it('counts every request once, by model, provider, status class, error code and stream', () => {
    const base = { endpoint: 'chat.completions', cache: '' };
    expect(sumOf(samples, 'sluice_requests_total')).toBe(7);
    expect(sumOf(samples, 'sluice_requests_total', {
      ...base, model: 'smart', provider: 'primary', status_class: '2xx', error_code: '', stream: 'false',
    })).toBe(2);
    expect(sumOf(samples, 'sluice_requests_total', { ...base, model: 'smart', status_class: '2xx', stream: 'true' })).toBe(1);
    expect(sumOf(samples, 'sluice_requests_total', {
      ...base, model: 'limited', provider: 'primary', status_class: '4xx', error_code: 'provider_rate_limited',
    })).toBe(1);
    expect(sumOf(samples, 'sluice_requests_total', { ...base, model: 'broken', status_class: '5xx', error_code: 'provider_error' })).toBe(1);
    expect(sumOf(samples, 'sluice_requests_total', { ...base, model: 'resilient', provider: 'backup', status_class: '2xx' })).toBe(1);
    // A model nobody configured never gets a series of its own.
    expect(sumOf(samples, 'sluice_requests_total', { model: 'other', status_class: '4xx', error_code: 'model_not_found' })).toBe(1);
    expect(scrape).not.toContain('no-such-model');
  });

  it('counts upstream attempts by outcome, and the fallback from the failed target to the one that answered', () => {
    expect(sumOf(samples, 'sluice_upstream_attempts_total', { provider: 'primary', target_model: 'gpt-a', kind: 'first', outcome: 'success' })).toBe(3);
    expect(sumOf(samples, 'sluice_upstream_attempts_total', { target_model: 'gpt-429', outcome: 'rate_limited' })).toBe(1);
    expect(sumOf(samples, 'sluice_upstream_attempts_total', { target_model: 'gpt-500', outcome: 'server_error' })).toBe(1);
    expect(sumOf(samples, 'sluice_upstream_attempts_total', { target_model: 'gpt-fail', kind: 'first', outcome: 'server_error' })).toBe(1);
    expect(sumOf(samples, 'sluice_upstream_attempts_total', { provider: 'backup', target_model: 'gpt-b', kind: 'fallback', outcome: 'success' })).toBe(1);
    expect(sumOf(samples, 'sluice_upstream_attempts_total')).toBe(7);
    expect(sumOf(samples, 'sluice_fallbacks_total', { model: 'resilient', from_provider: 'primary', to_provider: 'backup', outcome: 'success' })).toBe(1);
    expect(sumOf(samples, 'sluice_upstream_duration_seconds_count')).toBe(7);
  });

  it('adds tokens by type and cost, and times the stream\'s first token', () => {
    expect(sumOf(samples, 'sluice_tokens_total', { model: 'smart', provider: 'primary', type: 'input' })).toBe(15);
    expect(sumOf(samples, 'sluice_tokens_total', { model: 'smart', provider: 'primary', type: 'output' })).toBe(9);
    expect(sumOf(samples, 'sluice_tokens_total', { model: 'resilient', provider: 'backup', type: 'input' })).toBe(5);
    // 3 requests × (5 × $1 + 3 × $2) per million tokens.
    expect(sumOf(samples, 'sluice_cost_usd_total', { model: 'smart' })).toBeCloseTo(3 * 11e-6, 12);
    expect(sumOf(samples, 'sluice_time_to_first_token_seconds_count', { model: 'smart', provider: 'primary' })).toBe(1);
    expect(sumOf(samples, 'sluice_request_duration_seconds_count')).toBe(7);
    expect(sumOf(samples, 'sluice_gateway_overhead_seconds_count')).toBe(7);
    expect(sumOf(samples, 'sluice_http_in_flight_requests')).toBe(0);
  });

  it('scores health per provider (a client 4xx aside) in /health/ready and as a metric', async () => {
    // primary: gpt-a answered 3 times (100), gpt-429, gpt-500 and gpt-fail failed once each (0); backup answered once.
    expect(sumOf(samples, 'sluice_health_score', { scope: 'provider', provider: 'primary' })).toBe(50);
    expect(sumOf(samples, 'sluice_health_score', { scope: 'provider', provider: 'backup' })).toBe(100);
    expect(sumOf(samples, 'sluice_health_score', { scope: 'target', provider: 'primary', target_model: 'gpt-a' })).toBe(100);
    const ready = await fetch(`${test.url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = await ready.json() as { score: number; checks: { providers: Record<string, { score: number | null; circuit: string }> } };
    expect(body.score).toBe(Math.round((50 * 6 + 100) / 7));
    expect(body.checks.providers.primary).toMatchObject({ score: 50, circuit: 'closed' });
    expect(body.checks.providers.backup?.score).toBe(100);
  });

  it('passes promtool check metrics', () => {
    const result = promtoolCheckMetrics(scrape);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('metrics.require_auth', () => {
  it('answers 401 without a key and the scrape with one', async () => {
    const test = await startTestGateway({ logging: { level: 'silent' }, metrics: { require_auth: true } });
    try {
      expect((await fetch(`${test.url}/metrics`)).status).toBe(401);
      const authorised = await fetch(`${test.url}/metrics`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
      expect(authorised.status).toBe(200);
      expect(await authorised.text()).toContain('sluice_requests_total');
    } finally {
      await test.close();
    }
  });
});
