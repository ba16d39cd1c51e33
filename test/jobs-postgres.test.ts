import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const POLL_MS = 150;
const JOBS = 12;

describe('two instances on one Postgres', () => {
  let server: PostgresServer;
  let upstream: MockUpstream;
  const instances: TestGateway[] = [];
  /** Poll times per upstream video id. */
  const polls = new Map<string, number[]>();

  beforeAll(async () => {
    server = await startPostgresServer();
    const url = await createDatabase(server, 'jobs_two_instances');
    upstream = await startMockUpstream();
    let next = 0;
    const video = (id: string, status: string) => ({ id, object: 'video', model: 'm', status, progress: 50, seconds: '4', size: '1280x720', error: null });
    upstream.route('/v1/videos', () => ({ kind: 'json', body: video(`vid_${next++}`, 'queued') }));
    for (let index = 0; index < JOBS; index++) {
      const id = `vid_${index}`;
      polls.set(id, []);
      upstream.route(`/v1/videos/${id}`, () => {
        const times = polls.get(id) ?? [];
        times.push(Date.now());
        return { kind: 'json', body: video(id, times.length < 4 ? 'in_progress' : 'completed') };
      });
    }
    for (let index = 0; index < 2; index++) {
      instances.push(await startTestGateway({
        storage: { database_url: url },
        providers: [{ name: 'reseller', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-up' }],
        jobs: {
          poll: { initial_ms: POLL_MS, multiplier: 1, max_ms: POLL_MS, jitter: 0 },
          idle_poll_ms: 50, batch_size: 3, lease_ms: 5000,
          models: [{ name: 'clip', kind: 'video', provider: 'reseller', model: 'm' }],
        },
      }));
    }
  }, 60_000);

  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await upstream?.close();
    server?.destroy();
  });

  it('polls each due job exactly once (FOR UPDATE SKIP LOCKED leases)', async () => {
    const clients = instances.map((instance) => new OpenAI({ baseURL: `${instance.url}/v1`, apiKey: TEST_MASTER_KEY, maxRetries: 0 }));
    const created = await Promise.all(Array.from({ length: JOBS }, (_, index) => clients[index % 2]!.videos.create({ model: 'clip', prompt: `clip ${index}` })));
    for (const video of created) {
      let status = video.status;
      for (let round = 0; round < 300 && status !== 'completed'; round++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await clients[round % 2]!.videos.retrieve(video.id)).status;
      }
      expect(status).toBe('completed');
    }
    for (const [id, times] of polls) {
      // Four polls per job, never two for one due time: a duplicate would come within milliseconds.
      expect(times, id).toHaveLength(4);
      for (let index = 1; index < times.length; index++) {
        expect((times[index] ?? 0) - (times[index - 1] ?? 0), id).toBeGreaterThanOrEqual(POLL_MS - 30);
      }
    }
    const pollCounts = await Promise.all(instances.map(async (instance) => {
      const metric = await instance.gateway.metrics.registry.getSingleMetric('sluice_job_polls_total')?.get();
      return (metric?.values ?? []).filter((value) => value.labels.outcome !== 'started').reduce((sum, value) => sum + value.value, 0);
    }));
    expect(pollCounts[0]! + pollCounts[1]!).toBe(JOBS * 4);
  }, 120_000);
});
