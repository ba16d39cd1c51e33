import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { startWebhookReceiver } from './support/webhook-receiver.js';
import type { WebhookReceiver } from './support/webhook-receiver.js';

const MASTER_KEY = 'sk-test-master-key-jobs-restart';
const SECRET = `whsec_${Buffer.from('restart test webhook secret 32by').toString('base64')}`;
const POLL_MS = 400;

function startGatewayProcess(configFile: string): Promise<{ child: ChildProcess; url: string; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', configFile, '--port', '0'], {
    cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /running at (http:\/\/[\d.:]+)/.exec(text);
      if (match?.[1] !== undefined) resolve({ child, url: match[1], exited });
    });
    setTimeout(() => reject(new Error(`gateway did not start: ${errors}`)), 60_000).unref();
  });
}

describe('a gateway killed mid-job', () => {
  let directory: string;
  let upstream: MockUpstream;
  let receiver: WebhookReceiver;
  const pollTimes: number[] = [];

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sluice-jobs-restart-'));
    receiver = await startWebhookReceiver();
    upstream = await startMockUpstream();
    const video = (status: string) => ({ id: 'vid_1', object: 'video', model: 'm', status, progress: status === 'completed' ? 100 : 40, seconds: '4', size: '1280x720', error: null });
    upstream.route('/v1/videos', () => ({ kind: 'json', body: video('queued') }));
    upstream.route('/v1/videos/vid_1', () => {
      pollTimes.push(Date.now());
      return { kind: 'json', body: video(pollTimes.length < 5 ? 'in_progress' : 'completed') };
    });
    upstream.route('/v1/videos/vid_1/content', () => ({ kind: 'text', headers: { 'content-type': 'video/mp4' }, body: 'ftyp restart bytes' }));
  });
  afterAll(async () => {
    await upstream.close();
    await receiver.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('completes the job after a restart: each due poll reaches the provider once, and one webhook is sent', async () => {
    const configFile = join(directory, 'sluice.yaml');
    writeFileSync(configFile, [
      'auth:', `  master_key: ${MASTER_KEY}`,
      'storage:', `  database_url: sqlite://${join(directory, 'data', 'sluice.db')}`,
      'logging:', '  level: warn',
      'providers:', `  - { name: reseller, type: openai, api_key: sk-up, base_url: "${upstream.url}/v1" }`,
      'jobs:',
      `  poll: { initial_ms: ${POLL_MS}, multiplier: 1, max_ms: ${POLL_MS}, jitter: 0 }`,
      '  idle_poll_ms: 200',
      '  lease_ms: 2000',
      '  models: [{ name: clip, kind: video, provider: reseller, model: m, price_per_second: 0.1 }]',
      `  webhooks: { targets: [{ name: rx, url: "${receiver.url}", secret: "${SECRET}" }] }`,
    ].join('\n'));

    const first = await startGatewayProcess(configFile);
    const created = await new OpenAI({ baseURL: `${first.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 }).videos.create({ model: 'clip', prompt: 'a river' });
    await upstream.waitForRequests(3, 20_000);
    // Between two polls: the second poll's answer has been written, the third is not yet due.
    await new Promise((resolve) => setTimeout(resolve, POLL_MS / 4));
    first.child.kill('SIGKILL');
    await first.exited;
    const pollsBeforeKill = pollTimes.length;
    expect(pollsBeforeKill).toBe(2);

    const second = await startGatewayProcess(configFile);
    try {
      const sdk = new OpenAI({ baseURL: `${second.url}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
      let video = await sdk.videos.retrieve(created.id);
      for (let round = 0; round < 200 && video.status !== 'completed'; round++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        video = await sdk.videos.retrieve(created.id);
      }
      expect(video.status).toBe('completed');
      const content = await sdk.videos.downloadContent(created.id);
      expect(await content.text()).toBe('ftyp restart bytes');
      // Five polls in all (two before the kill, three after), each at its own due time.
      expect(pollTimes).toHaveLength(5);
      for (let index = 1; index < pollTimes.length; index++) {
        expect((pollTimes[index] ?? 0) - (pollTimes[index - 1] ?? 0)).toBeGreaterThanOrEqual(POLL_MS - 50);
      }
      for (let round = 0; round < 100 && receiver.received.length === 0; round++) await new Promise((resolve) => setTimeout(resolve, 50));
      // Give a duplicate the time to show up, were there one.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(receiver.received).toHaveLength(1);
      const delivery = receiver.received[0];
      const event = await sdk.webhooks.unwrap(delivery?.body ?? '', delivery?.headers as Record<string, string>, SECRET);
      expect(event).toMatchObject({ type: 'video.completed', data: { id: created.id } });
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 150_000);
});
