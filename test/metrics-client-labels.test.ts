import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { parsePrometheusText, sumOf } from './support/prometheus-text.js';
import { startTestGateway, TEST_MASTER_KEY } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

describe('/metrics: clients cannot inflate the series by naming models', () => {
  let upstream: MockUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    gateway = await startTestGateway({
      logging: { level: 'silent', request_log: { enabled: false } },
      metrics: { max_series_per_metric: 5 },
      providers: [{ name: 'open', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-0000000000000000' }],
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('20 unpriced direct models leave at most the cap plus one series, and the count stays exact', async () => {
    for (let index = 0; index < 20; index += 1) {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: `open/invented-model-${index}`, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
    }
    const samples = parsePrometheusText(await (await fetch(`${gateway.url}/metrics`)).text());
    const unpriced = samples.filter((sample) => sample.name === 'sluice_unpriced_calls_total');
    expect(unpriced.length).toBeLessThanOrEqual(6);
    expect(sumOf(samples, 'sluice_unpriced_calls_total')).toBe(20);
    for (const sample of samples) {
      if (sample.labels['model'] !== undefined && sample.labels['model'].startsWith('invented-model-')) expect(sample.name).toBe('sluice_unpriced_calls_total');
    }
    const perName = new Map<string, number>();
    for (const sample of samples) perName.set(sample.name, (perName.get(sample.name) ?? 0) + 1);
    // No metric holds a series per invented model (histograms hold one series per bucket).
    for (const [name, count] of perName) if (!name.endsWith('_bucket')) expect(count, name).toBeLessThan(20);
  });
});
