import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/index.js';
import { createGateway } from '../src/main.js';
import type { Gateway } from '../src/main.js';
import { startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream, RecordedRequest } from './mock-upstream/index.js';

const MASTER_KEY = 'sk-test-master-key-secrets';
/** Shaped like no vendor's key, so only verbatim removal can catch it. */
const UPSTREAM_KEY = 'corp-llm-key-7Qz9WmX2vL4pR8tN';
const EXTRA_HEADER_VALUE = 'tenant-token-Hk3Jd9Ls0Pq2';
const GEMINI_KEY = 'corp-gemini-key-3Vb8Nq1Zt6Yc';
const VEO_OPERATION = 'models/veo-x/operations/op-secret';

/** What a careless upstream does: quote the credentials it was sent back in its error. */
function echoCredentials(request: RecordedRequest): string {
  return `Incorrect API key provided: ${String(request.headers['authorization'])}; extra ${String(request.headers['x-extra-auth'])}`;
}

describe('upstream error text never carries a configured secret to the client or stdout', () => {
  let upstream: MockUpstream;
  let gateway: Gateway;
  let client: OpenAI;
  let directory: string;
  let stdout = '';

  beforeAll(async () => {
    upstream = await startMockUpstream();
    directory = mkdtempSync(join(tmpdir(), 'sluice-secrets-'));
    const resolved = resolveConfig({
      auth: { master_key: MASTER_KEY },
      storage: { database_url: `sqlite://${join(directory, 'sluice.db')}` },
      logging: { request_log: { flush_interval_ms: 50 } },
      providers: [{
        name: 'corp', type: 'openai', base_url: `${upstream.url}/v1`, api_key: UPSTREAM_KEY, headers: { 'x-extra-auth': EXTRA_HEADER_VALUE },
      }, { name: 'corp-gemini', type: 'gemini', base_url: upstream.url, api_key: GEMINI_KEY }],
      models: [{ name: 'corp-model', targets: [{ provider: 'corp', model: 'm' }], retry: { max_attempts: 1 } }],
      jobs: {
        poll: { initial_ms: 20, multiplier: 1.5, max_ms: 40, jitter: 0 },
        idle_poll_ms: 30,
        models: [
          { name: 'corp-video', kind: 'video', provider: 'corp', model: 'v', price_per_second: 0.1 },
          { name: 'corp-veo', kind: 'video', provider: 'corp-gemini', model: 'veo-x', price_per_second: 0.1 },
        ],
      },
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        stdout += chunk.toString('utf8');
        done();
      },
    });
    gateway = await createGateway(resolved.config, { cwd: directory, logger: pino({ level: 'trace' }, sink) });
    client = new OpenAI({ baseURL: `${await gateway.listen({ host: '127.0.0.1', port: 0 })}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
    rmSync(directory, { recursive: true, force: true });
  });
  beforeEach(() => upstream.reset());

  async function failure(run: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await run();
    } catch (error) {
      if (error instanceof OpenAI.APIError) return error;
      throw error;
    }
    throw new Error('the request succeeded');
  }

  function expectNoSecret(text: string): void {
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(text).not.toContain(EXTRA_HEADER_VALUE);
    expect(text).not.toContain(GEMINI_KEY);
  }

  it('an upstream 401 that echoes its key becomes a 502 provider_error without the key', async () => {
    upstream.route('/v1/chat/completions', (request) => ({
      kind: 'json', status: 401, body: { error: { message: echoCredentials(request), type: 'invalid_request_error', code: 'invalid_api_key' } },
    }));
    const error = await failure(() => client.chat.completions.create({ model: 'corp-model', messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.status).toBe(502);
    expect(error.code).toBe('provider_error');
    expect(error.message).toContain('[REDACTED]');
    expectNoSecret(JSON.stringify(error.error));
    // The upstream did receive the key: the test would prove nothing otherwise.
    expect(String(upstream.requests[0]?.headers['authorization'])).toContain(UPSTREAM_KEY);
  });

  it('a 400 and a mid-stream error frame that echo the key reach the client redacted', async () => {
    upstream.route('/v1/chat/completions', (request) => ({
      kind: 'json', status: 400, body: { error: { message: echoCredentials(request), type: 'invalid_request_error' } },
    }));
    const refused = await failure(() => client.chat.completions.create({ model: 'corp-model', messages: [{ role: 'user', content: 'hi' }] }));
    expect(refused.status).toBe(400);
    expectNoSecret(JSON.stringify(refused.error));

    upstream.reset();
    upstream.route('/v1/chat/completions', (request) => ({
      kind: 'sse',
      events: [
        { data: { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] } },
        { data: { error: { message: echoCredentials(request), type: 'server_error' } } },
      ],
    }));
    const response = await fetch(`${client.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'corp-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await response.text();
    expect(text).toContain('[REDACTED]');
    expectNoSecret(text);
  });

  it('a failed video whose upstream error echoes the key is stored, returned and sent without it', async () => {
    const failedVideo = (request: RecordedRequest) => ({
      id: 'vid_secret', object: 'video', model: 'v', status: 'failed', progress: 0, created_at: 1, seconds: '4', size: '1280x720',
      error: { code: 'moderation_blocked', message: `${echoCredentials(request)}; bearer ${UPSTREAM_KEY}` },
    });
    upstream.route('/v1/videos', (request) => ({ kind: 'json', body: { ...failedVideo(request), status: 'queued', error: null } }));
    upstream.route('/v1/videos/vid_secret', (request) => ({ kind: 'json', body: failedVideo(request) }));
    upstream.route('/v1beta/models/veo-x:predictLongRunning', () => ({ kind: 'json', body: { name: VEO_OPERATION } }));
    upstream.route(`/v1beta/${VEO_OPERATION}`, (request) => ({
      kind: 'json', body: { name: VEO_OPERATION, done: true, error: { code: 3, message: `key ${String(request.headers['x-goog-api-key'])} refused` } },
    }));

    for (const model of ['corp-video', 'corp-veo']) {
      const created = await client.videos.create({ model, prompt: 'a cat', seconds: '4' });
      let video = await client.videos.retrieve(created.id);
      for (const deadline = Date.now() + 10_000; video.status !== 'failed' && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        video = await client.videos.retrieve(created.id);
      }
      expect(video.status).toBe('failed');
      expect(video.error?.message).toContain('[REDACTED]');
      expectNoSecret(JSON.stringify(video));
      const job = await fetch(`${client.baseURL}/jobs/${created.id}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      const jobText = await job.text();
      expect(jobText).toContain('[REDACTED]');
      expectNoSecret(jobText);
    }
    // The upstreams were sent the keys and echoed them: the test would prove nothing otherwise.
    expect(String(upstream.requests.find((request) => request.path === '/v1/videos/vid_secret')?.headers['authorization'])).toContain(UPSTREAM_KEY);
    expect(upstream.requests.some((request) => request.headers['x-goog-api-key'] === GEMINI_KEY)).toBe(true);
  });

  it('nothing the gateway logged or wrote to the request log holds the key', async () => {
    await gateway.flushRequestLog();
    const page = await gateway.database.requestLog.list({ since: 0, until: Date.now() + 60_000 }, { limit: 50 }, {});
    expect(page.data.length).toBeGreaterThanOrEqual(3);
    expectNoSecret(JSON.stringify(page.data));
    expect(stdout).toContain('[REDACTED]');
    expectNoSecret(stdout);
  });
});
