import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent, RequestSummary } from '../src/core/index.js';
import { startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream, RecordedRequest } from './mock-upstream/index.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

/** ASCII only, so the mock upstream's text reply sends these exact bytes: an MP4 `ftyp` box. */
const FIXTURE = '\u0000\u0000\u0000\u0018ftypmp42\u0000\u0000\u0000\u0000mp42isom fixture video bytes';
const VEO_MODEL = 'veo-3.1-generate-preview';
const OPERATION = `models/${VEO_MODEL}/operations/op123`;

let veo: MockUpstream;
let videos: MockUpstream;
let gateway: TestGateway;
const ends: RequestSummary[] = [];

function unauthorised(request: RecordedRequest, header: string, expected: string) {
  return request.headers[header] === expected ? null : { kind: 'json' as const, status: 401, body: { error: { message: 'bad key' } } };
}

beforeAll(async () => {
  veo = await startMockUpstream();
  let veoPolls = 0;
  veo.route(`/v1beta/models/${VEO_MODEL}:predictLongRunning`, (request) =>
    unauthorised(request, 'x-goog-api-key', 'gemini-key') ?? { kind: 'json', body: { name: OPERATION } });
  veo.route(`/v1beta/${OPERATION}`, (request) => {
    const refused = unauthorised(request, 'x-goog-api-key', 'gemini-key');
    if (refused !== null) return refused;
    veoPolls++;
    if (veoPolls < 3) return { kind: 'json', body: { name: OPERATION, done: false } };
    return { kind: 'json', body: { name: OPERATION, done: true, response: { generateVideoResponse: {
      generatedSamples: [{ video: { uri: `${veo.url}/v1beta/files/abc:download?alt=media` } }],
    } } } };
  });
  veo.route('/v1beta/files/abc:download', (request) =>
    unauthorised(request, 'x-goog-api-key', 'gemini-key') ?? { kind: 'text', headers: { 'content-type': 'video/mp4' }, body: FIXTURE });

  videos = await startMockUpstream();
  let videoPolls = 0;
  const video = (status: string, progress: number) => ({
    id: 'vid_upstream_1', object: 'video', model: 'seedance', status, progress, created_at: 1, completed_at: null, expires_at: null,
    error: null, prompt: 'a dog', remixed_from_video_id: null, seconds: '8', size: '1280x720',
  });
  videos.route('/v1/videos', (request) => unauthorised(request, 'authorization', 'Bearer sk-videos') ?? { kind: 'json', body: video('queued', 0) });
  videos.route('/v1/videos/vid_upstream_1', (request) => {
    const refused = unauthorised(request, 'authorization', 'Bearer sk-videos');
    if (refused !== null) return refused;
    videoPolls++;
    return { kind: 'json', headers: { 'retry-after': '0' }, body: videoPolls < 2 ? video('in_progress', 50) : video('completed', 100) };
  });
  videos.route('/v1/videos/vid_upstream_1/content', (request) =>
    unauthorised(request, 'authorization', 'Bearer sk-videos') ?? { kind: 'text', headers: { 'content-type': 'video/mp4' }, body: FIXTURE });
  videos.route('/v1/images/generations', (request) => {
    const refused = unauthorised(request, 'authorization', 'Bearer sk-videos');
    if (refused !== null) return refused;
    const body = typeof request.body === 'object' && request.body !== null ? Object.fromEntries(Object.entries(request.body)) : {};
    const url = body.response_format === 'url';
    return { kind: 'json', body: { created: 1_800_000_000, data: [url ? { url: 'https://cdn.example.com/cat.png' } : { b64_json: 'aW1hZ2U=', revised_prompt: 'a cat, painted' }] } };
  });

  gateway = await startTestGateway({
    providers: [
      { name: 'google', type: 'gemini', base_url: veo.url, api_key: 'gemini-key' },
      { name: 'reseller', type: 'openai', base_url: `${videos.url}/v1`, api_key: 'sk-videos' },
      { name: 'mock', type: 'mock' },
    ],
    jobs: {
      // Fast real-time polls for these end-to-end tests; the schedule itself is tested on a manual clock.
      poll: { initial_ms: 20, multiplier: 1.5, max_ms: 60, jitter: 0 },
      idle_poll_ms: 50,
      models: [
        { name: 'veo', kind: 'video', provider: 'google', model: VEO_MODEL, price_per_second: 0.5 },
        { name: 'seedance', kind: 'video', provider: 'reseller', model: 'seedance-1', price_per_second: 0.25 },
        { name: 'mock-video', kind: 'video', provider: 'mock', model: 'video', price_per_second: 1 },
        { name: 'mock-fail', kind: 'video', provider: 'mock', model: 'video-fail', price_per_second: 1 },
        { name: 'gpt-image', kind: 'image', provider: 'reseller', model: 'gpt-image-1', price_per_image: 0.04 },
        { name: 'mock-image', kind: 'image', provider: 'mock', model: 'image', price_per_image: 0.01 },
      ],
    },
  });
  gateway.gateway.events.subscribe((event: GatewayEvent) => {
    if (event.type === 'request-end') ends.push(event.summary);
  });
});

afterAll(async () => {
  await gateway?.close();
  await veo?.close();
  await videos?.close();
});

function client(apiKey = TEST_MASTER_KEY): OpenAI {
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0 });
}

async function createKey(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${gateway.url}/admin/api/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json: unknown = await response.json();
  if (response.status !== 201 || typeof json !== 'object' || json === null || !('key' in json) || typeof json.key !== 'string') {
    throw new Error(`could not create a key: ${JSON.stringify(json)}`);
  }
  return json.key;
}

async function retrieveUntilDone(sdk: OpenAI, id: string): Promise<OpenAI.Videos.Video> {
  for (let round = 0; round < 200; round++) {
    const video = await sdk.videos.retrieve(id);
    if (video.status === 'completed' || video.status === 'failed') return video;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`video ${id} did not finish`);
}

describe('videos through the official openai SDK', () => {
  it('creates a Veo video (multipart), retrieves it until completed and downloads the fixture bytes, Sluice holding the key', async () => {
    const sdk = client();
    const created = await sdk.videos.create({ model: 'veo', prompt: 'a cat on a skateboard', seconds: '8', size: '1280x720' });
    expect(created).toMatchObject({ object: 'video', model: 'veo', status: 'queued', seconds: '8', size: '1280x720' });
    expect(created.id).toMatch(/^video_/);
    const start = veo.requests.find((request) => request.path.endsWith(':predictLongRunning'));
    expect(start?.body).toEqual({ instances: [{ prompt: 'a cat on a skateboard' }], parameters: { aspectRatio: '16:9', resolution: '720p', durationSeconds: 8 } });

    const done = await retrieveUntilDone(sdk, created.id);
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    const content = await sdk.videos.downloadContent(created.id);
    expect(content.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await content.arrayBuffer()).toString('latin1')).toBe(FIXTURE);
    // Every upstream call carried the provider's key, never the client's.
    expect(veo.requests.length).toBeGreaterThanOrEqual(5);
    for (const request of veo.requests) {
      expect(request.headers['x-goog-api-key']).toBe('gemini-key');
      expect(request.headers.authorization).toBeUndefined();
    }
  });

  it('runs a video on an OpenAI-compatible /v1/videos upstream, with its own key', async () => {
    const sdk = client();
    const image = await toFile(Buffer.from('fake png bytes'), 'first-frame.png', { type: 'image/png' });
    const created = await sdk.videos.create({ model: 'seedance', prompt: 'a dog', seconds: '8', size: '1280x720', input_reference: image });
    const upstreamCreate = videos.requests.find((request) => request.method === 'POST' && request.path === '/v1/videos');
    expect(upstreamCreate?.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(upstreamCreate?.rawBody).toContain('fake png bytes');
    expect(upstreamCreate?.rawBody).toContain('seedance-1');
    const done = await retrieveUntilDone(sdk, created.id);
    expect(done).toMatchObject({ status: 'completed', seconds: '8' });
    const content = await sdk.videos.downloadContent(created.id);
    expect(Buffer.from(await content.arrayBuffer()).toString('latin1')).toBe(FIXTURE);
    const list = await sdk.videos.list({ limit: 100 });
    expect(list.data.map((item) => item.id)).toContain(created.id);
  });

  it('answers an in-progress video with retry-after, and writes one log row whose cost is seconds × price', async () => {
    const response = await fetch(`${gateway.url}/v1/videos`, {
      method: 'POST', headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-video', prompt: 'waves', seconds: 6, size: '720x1280' }),
    });
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const created = await response.json() as { id: string };
    const done = await retrieveUntilDone(client(), created.id);
    expect(done.status).toBe('completed');
    const summary = ends.find((end) => end.metadata?.job_id === created.id);
    expect(summary).toMatchObject({ endpoint: 'videos', requestedModel: 'mock-video', provider: 'mock', status: 200, costUsd: 6 });
    expect(summary?.metadata).toMatchObject({ kind: 'video', seconds: '6', resolution: '720x1280' });
    await gateway.gateway.flushRequestLog();
    const row = await gateway.gateway.database.requestLog.get(summary?.requestId ?? '', {});
    expect(row).toMatchObject({ endpoint: 'videos', costUsd: 6, statusCode: 200 });
  });
});

describe('images through the official openai SDK', () => {
  it('generates synchronously as b64_json and as url', async () => {
    const sdk = client();
    const b64 = await sdk.images.generate({ model: 'gpt-image', prompt: 'a cat', response_format: 'b64_json' });
    expect(b64.data?.[0]).toEqual({ b64_json: 'aW1hZ2U=', revised_prompt: 'a cat, painted' });
    const url = await sdk.images.generate({ model: 'gpt-image', prompt: 'a cat', response_format: 'url' });
    expect(url.data?.[0]?.url).toBe('https://cdn.example.com/cat.png');
    const mock = await sdk.images.generate({ model: 'mock-image', prompt: 'a cat', n: 2 });
    expect(mock.data).toHaveLength(2);
    expect(Buffer.from(mock.data?.[0]?.b64_json ?? '', 'base64').subarray(1, 4).toString()).toBe('PNG');
    const summary = ends.find((end) => end.requestedModel === 'mock-image');
    expect(summary).toMatchObject({ endpoint: 'images', costUsd: 0.02, metadata: expect.objectContaining({ images: '2' }) });
  });

  it('answers Prefer: respond-async with a 202 and a job that completes', async () => {
    const response = await client().images.generate({ model: 'gpt-image', prompt: 'a cat' }, { headers: { prefer: 'respond-async' } })
      .asResponse();
    expect(response.status).toBe(202);
    const job = await response.json() as { id: string; object: string; kind: string; status: string; result: unknown };
    expect(job).toMatchObject({ object: 'job', kind: 'image', status: 'completed' });
    expect(response.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    const fetched = await fetch(`${gateway.url}/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${TEST_MASTER_KEY}` } });
    expect(await fetched.json()).toMatchObject({ id: job.id, status: 'completed', result: { data: [{ b64_json: 'aW1hZ2U=' }] } });
  });
});

describe('isolation and budgets', () => {
  it('answers 404 to tenant B for tenant A\'s job', async () => {
    const keyA = await createKey({ name: 'a', tenant: 'tenant-a' });
    const keyB = await createKey({ name: 'b', tenant: 'tenant-b' });
    const created = await client(keyA).videos.create({ model: 'mock-video', prompt: 'mine' });
    await expect(client(keyB).videos.retrieve(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(client(keyB).videos.downloadContent(created.id)).rejects.toMatchObject({ status: 404 });
    await expect(client(keyB).videos.delete(created.id)).rejects.toMatchObject({ status: 404 });
    expect((await client(keyB).videos.list()).data.map((video) => video.id)).not.toContain(created.id);
    expect((await client(keyA).videos.retrieve(created.id)).id).toBe(created.id);
  });

  it('reserves a video\'s cost at creation and releases it when the job fails', async () => {
    const key = await createKey({ name: 'budgeted', limits: { budget_usd: 10, budget_period: 'month' } });
    const sdk = client(key);
    // $8 reserved: a second $8 video does not fit the $10 budget while the first runs.
    const failing = await sdk.videos.create({ model: 'mock-fail', prompt: 'doomed', seconds: '8' });
    await expect(sdk.videos.create({ model: 'mock-fail', prompt: 'too much', seconds: '8' })).rejects.toMatchObject({ status: 429, code: 'budget_exceeded' });
    const refused = await fetch(`${gateway.url}/v1/videos`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock-fail', prompt: 'too much', seconds: 8 }),
    });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const failed = await retrieveUntilDone(sdk, failing.id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'generation_failed' } });
    // Released: the same video fits again.
    const again = await sdk.videos.create({ model: 'mock-fail', prompt: 'fits now', seconds: '8' });
    expect(again.status).toBe('queued');
    expect(ends.find((end) => end.metadata?.job_id === failing.id)).toMatchObject({ costUsd: 0, status: 502, errorCode: 'generation_failed' });
  });
});
