/**
 * Kept assets and job metrics through a real gateway: with `jobs.assets.directory` a finished
 * video is downloaded once, at completion, and later downloads are served from disk; the jobs'
 * polls and outcomes show on /metrics.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { parsePrometheusText, sumOf } from './support/prometheus-text.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const FIXTURE = '\u0000\u0000\u0000\u0018ftypmp42 kept video bytes';

let upstream: MockUpstream;
let gateway: TestGateway;
let client: OpenAI;
const directory = mkdtempSync(join(tmpdir(), 'sluice-assets-'));
let contentFetches = 0;

beforeAll(async () => {
  upstream = await startMockUpstream();
  let polls = 0;
  const video = (status: string) => ({ id: 'vid_1', object: 'video', model: 'm', status, progress: 50, seconds: '4', size: '1280x720', error: null });
  upstream.route('/v1/videos', () => ({ kind: 'json', body: video('queued') }));
  upstream.route('/v1/videos/vid_1', () => ({ kind: 'json', body: video(++polls < 2 ? 'in_progress' : 'completed') }));
  upstream.route('/v1/videos/vid_1/content', () => {
    contentFetches++;
    return { kind: 'text', headers: { 'content-type': 'video/mp4' }, body: FIXTURE };
  });
  gateway = await startTestGateway({
    providers: [{ name: 'reseller', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-up' }, { name: 'mock', type: 'mock' }],
    jobs: {
      poll: { initial_ms: 20, multiplier: 1, max_ms: 20, jitter: 0 },
      idle_poll_ms: 50,
      assets: { directory, ttl_ms: 3_600_000 },
      models: [
        { name: 'clip', kind: 'video', provider: 'reseller', model: 'm', price_per_second: 0.5 },
        { name: 'broken', kind: 'video', provider: 'mock', model: 'video-fail' },
      ],
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TEST_MASTER_KEY, maxRetries: 0 });
}, 30_000);

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  rmSync(directory, { recursive: true, force: true });
});

async function finished(id: string): Promise<string> {
  for (let round = 0; round < 200; round++) {
    const status = (await client.videos.retrieve(id)).status;
    if (status === 'completed' || status === 'failed') return status;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${id} did not finish`);
}

describe('jobs.assets and job metrics', () => {
  it('keeps a finished video in the directory and serves every download from it', async () => {
    const video = await client.videos.create({ model: 'clip', prompt: 'a kept clip' });
    expect(await finished(video.id)).toBe('completed');
    // Kept once, at completion (the asset appears when complete; poll for it with a deadline).
    for (let round = 0; round < 200 && !readdirSync(directory).some((name) => name.endsWith('.json')); round++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(readdirSync(directory).sort()).toEqual([`${video.id}.bin`, `${video.id}.json`]);
    expect(contentFetches).toBe(1);
    for (let download = 0; download < 2; download++) {
      const content = await client.videos.downloadContent(video.id);
      expect(content.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await content.arrayBuffer()).toString('latin1')).toBe(FIXTURE);
    }
    expect(contentFetches).toBe(1);
    // Deleting the video deletes its kept asset.
    await client.videos.delete(video.id);
    expect(existsSync(join(directory, `${video.id}.bin`))).toBe(false);
  });

  it('counts polls and outcomes on /metrics', async () => {
    const broken = await client.videos.create({ model: 'broken', prompt: 'fails' });
    expect(await finished(broken.id)).toBe('failed');
    const samples = parsePrometheusText(await (await fetch(`${gateway.url}/metrics`)).text());
    expect(sumOf(samples, 'sluice_jobs_finished_total', { kind: 'video', provider: 'reseller', outcome: 'completed' })).toBe(1);
    expect(sumOf(samples, 'sluice_jobs_finished_total', { kind: 'video', provider: 'mock', outcome: 'failed' })).toBe(1);
    expect(sumOf(samples, 'sluice_job_duration_seconds_count', { kind: 'video', outcome: 'completed' })).toBe(1);
    // The reseller job: a start and two polls (in_progress, then completed).
    expect(sumOf(samples, 'sluice_job_polls_total', { provider: 'reseller', outcome: 'started' })).toBe(1);
    expect(sumOf(samples, 'sluice_job_polls_total', { provider: 'reseller', outcome: 'pending' })).toBe(1);
    expect(sumOf(samples, 'sluice_job_polls_total', { provider: 'reseller', outcome: 'completed' })).toBe(1);
    expect(sumOf(samples, 'sluice_job_polls_total', { provider: 'mock', outcome: 'failed' })).toBe(1);
  });
});
