import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { startTestGateway, TEST_MASTER_KEY } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const errorBody = z.object({ error: z.object({ code: z.string(), param: z.string().nullable() }) });

describe('image and video jobs: a model id that could break a header or bloat the log is a 400 before any upstream call', () => {
  let upstream: MockUpstream;
  let gateway: TestGateway;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    gateway = await startTestGateway({
      logging: { level: 'silent' },
      providers: [{ name: 'open', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-0000000000000000' }],
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const cases: Array<[string, string]> = [
    ['/v1/videos', 'open/sora\r\nx-evil: 1'],
    ['/v1/videos', `open/${'v'.repeat(300)}`],
    ['/v1/images/generations', 'open/gpt-image\u0000'],
    ['/v1/images/generations', `open/${'i'.repeat(300)}`],
  ];
  for (const [path, model] of cases) {
    it(`${path} with model ${JSON.stringify(model.slice(0, 24))}… answers 400 naming model`, async () => {
      const response = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, prompt: 'a cat' }),
      });
      expect(response.status).toBe(400);
      expect(errorBody.parse(await response.json()).error).toMatchObject({ code: 'invalid_request', param: 'model' });
      expect(upstream.requests).toHaveLength(0);
    });
  }
});
