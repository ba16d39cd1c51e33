import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestGateway, TEST_MASTER_KEY } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const errorBody = z.object({ error: z.object({ code: z.string(), param: z.string().nullable() }) });

describe('admin queries: out-of-range times and cursors are bad input (400), never a 500', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({ logging: { level: 'silent' }, providers: [{ name: 'mock', type: 'mock' }] });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  async function get(path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
    return { status: response.status, body: await response.json() };
  }

  const huge = '99999999999999999999';
  const cases: Array<[string, string]> = [
    [`/admin/api/logs?since=${huge}`, 'since'],
    [`/admin/api/logs?until=${huge}`, 'until'],
    [`/admin/api/logs?since=99999999999d`, 'since'],
    [`/admin/api/analytics/summary?since=${huge}`, 'since'],
    [`/admin/api/analytics/timeseries?until=${huge}`, 'until'],
    [`/admin/api/analytics/errors?since=${huge}`, 'since'],
    [`/admin/api/analytics/cost-by-user?since=${huge}`, 'since'],
    [`/admin/api/logs?cursor=${Buffer.from(`${huge}.1`).toString('base64url')}`, 'cursor'],
  ];
  for (const [path, param] of cases) {
    it(`${path} is a 400 invalid_request naming ${param}`, async () => {
      const answer = await get(path);
      expect(answer.status).toBe(400);
      expect(errorBody.parse(answer.body).error).toEqual({ code: 'invalid_request', param });
    });
  }

  it('ordinary windows still answer', async () => {
    expect((await get('/admin/api/logs?since=1h')).status).toBe(200);
    expect((await get('/admin/api/analytics/summary?since=2020-01-01T00:00:00Z')).status).toBe(200);
  });
});
