import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { MemoryWebhookOutboxStore } from '../storage/index.js';
import type { NewWebhookMessage } from '../storage/index.js';
import { WebhookDeliverer } from './webhook-deliverer.js';
import type { WebhookAttemptReport } from './webhook-deliverer.js';

const SECRET = `whsec_${Buffer.from('receiver secret, 32 bytes long..').toString('base64')}`;
const sdk = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:1' });

interface Receiver {
  url: string;
  received: Array<{ body: string; headers: IncomingHttpHeaders }>;
  /** Statuses to answer, in order; 204 once they run out. */
  statuses: number[];
  close(): Promise<void>;
}

async function startReceiver(statuses: number[] = []): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers });
      response.statusCode = statuses.shift() ?? 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks?source=sluice`, received, statuses,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('WebhookDeliverer', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });

  async function setUp(statuses: number[] = []) {
    const receiver = await startReceiver(statuses);
    // Near real time: the SDK checks the signed timestamp against its own clock (300 s tolerance).
    const clock = new ManualClock(Date.now());
    const store = new MemoryWebhookOutboxStore();
    const reports: WebhookAttemptReport[] = [];
    const deliverer = new WebhookDeliverer({
      store, clock, owner: 'test-instance', resolveSecret: (ref) => (ref === 'receiver' ? SECRET : null),
      retryDelaysMs: [60_000, 120_000], pollIntervalMs: 30_000, onAttempt: (report) => reports.push(report),
    });
    cleanups.push(() => receiver.close(), () => deliverer.stop());
    const message = (id: string, overrides: Partial<NewWebhookMessage> = {}): NewWebhookMessage => ({
      id, dedupeKey: id, url: receiver.url, secretRef: 'receiver', eventType: 'video.completed',
      payload: JSON.stringify({ id: `evt_${id}`, object: 'event', type: 'video.completed', created_at: 1, data: { id: 'video_1' } }),
      tenantId: null, createdAt: clock.now(), ...overrides,
    });
    return { receiver, clock, store, deliverer, reports, message };
  }

  it('posts each message signed so that the openai SDK webhooks.unwrap() verifies it', async () => {
    const { receiver, store, deliverer, message } = await setUp();
    await store.enqueue(message('msg_1'));
    await store.enqueue(message('msg_2'));
    expect(await deliverer.runOnce()).toBe(2);
    expect(receiver.received).toHaveLength(2);
    for (const delivery of receiver.received) {
      const event = await sdk.webhooks.unwrap(delivery.body, delivery.headers as Record<string, string>, SECRET);
      expect(event).toMatchObject({ object: 'event', type: 'video.completed', data: { id: 'video_1' } });
      expect(delivery.headers['content-type']).toBe('application/json');
    }
    expect(receiver.received.map((delivery) => delivery.headers['webhook-id']).sort()).toEqual(['msg_1', 'msg_2']);
    expect(await store.get('msg_1')).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 204 });
    expect(await deliverer.runOnce()).toBe(0);
  });

  it('retries a failing receiver on the schedule with the same id and body, then gives up', async () => {
    const { receiver, clock, store, deliverer, reports, message } = await setUp([500, 503, 500]);
    await store.enqueue(message('msg_retry'));
    deliverer.start();
    await clock.advance(0);
    await deliverer.whenIdle();
    expect(receiver.received).toHaveLength(1);
    expect(reports[0]).toMatchObject({ delivered: false, status: 500, error: 'HTTP 500', retryAt: clock.now() + 60_000 });
    await clock.advance(59_000);
    await deliverer.whenIdle();
    expect(receiver.received).toHaveLength(1);
    await clock.advance(1_000);
    await deliverer.whenIdle();
    expect(receiver.received).toHaveLength(2);
    await clock.advance(120_000);
    await deliverer.whenIdle();
    expect(receiver.received).toHaveLength(3);
    expect(await store.get('msg_retry')).toMatchObject({ status: 'failed', attempts: 3, lastStatus: 500 });
    await clock.advance(1_000_000);
    await deliverer.whenIdle();
    expect(receiver.received).toHaveLength(3);
    // Every attempt carried the same webhook-id and body, each signed afresh and verifiable.
    expect(new Set(receiver.received.map((delivery) => delivery.headers['webhook-id']))).toEqual(new Set(['msg_retry']));
    expect(new Set(receiver.received.map((delivery) => delivery.body)).size).toBe(1);
    const last = receiver.received[2]!;
    await expect(sdk.webhooks.unwrap(last.body, last.headers as Record<string, string>, SECRET)).resolves.toBeTruthy();
  });

  it('delivers after a failure once the receiver recovers, and treats a refused connection as a failure', async () => {
    const { receiver, clock, store, deliverer, reports, message } = await setUp([502]);
    await store.enqueue(message('msg_recover'));
    await store.enqueue(message('msg_nobody', { url: 'http://127.0.0.1:1/closed' }));
    deliverer.start();
    await clock.advance(60_000);
    await deliverer.whenIdle();
    expect(await store.get('msg_recover')).toMatchObject({ status: 'delivered', attempts: 2, lastStatus: 204 });
    expect(receiver.received).toHaveLength(2);
    expect(await store.get('msg_nobody')).toMatchObject({ status: 'pending', attempts: 2, lastStatus: null, lastError: 'ECONNREFUSED' });
    expect(reports.filter((report) => report.message.id === 'msg_nobody')).toHaveLength(2);
  });

  it('fails a message at once when its signing secret is no longer configured', async () => {
    const { receiver, store, deliverer, message } = await setUp();
    await store.enqueue(message('msg_orphan', { secretRef: 'removed-target' }));
    await deliverer.runOnce();
    expect(receiver.received).toHaveLength(0);
    expect(await store.get('msg_orphan')).toMatchObject({ status: 'failed', lastError: expect.stringContaining('removed-target') });
  });

  it('wake() delivers a new message without waiting for the next poll', async () => {
    const { receiver, clock, store, deliverer, message } = await setUp();
    deliverer.start();
    await clock.advance(0);
    await deliverer.whenIdle();
    await store.enqueue(message('msg_woken'));
    deliverer.wake();
    await clock.advance(0);
    await deliverer.whenIdle();
    expect(receiver.received).toHaveLength(1);
  });
});
