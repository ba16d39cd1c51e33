import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConfigInput } from '../src/config/index.js';
import { startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';
import { startTestGateway, TEST_MASTER_KEY } from './support/start-gateway.js';
import type { TestGateway } from './support/start-gateway.js';

const errorBody = z.object({ error: z.object({ code: z.string().nullable() }) });

/** A stream that sends one chunk and then never ends, for requests whose id starts with `hold-`; a short answer otherwise. */
function holdingUpstream(upstream: MockUpstream): void {
  const chunk = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] };
  const last = { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
  upstream.route('/v1/chat/completions', (request) => (String(request.headers['x-request-id']).startsWith('hold-')
    ? { kind: 'sse', events: [{ data: chunk }, { data: last }], stallAfter: 1 }
    : { kind: 'sse', events: [{ data: chunk }, { data: last }], done: true }));
}

function gatewayConfig(upstream: MockUpstream, extra: ConfigInput = {}): ConfigInput {
  return {
    logging: { level: 'silent', request_log: { enabled: false } },
    providers: [{ name: 'busy', type: 'openai', base_url: `${upstream.url}/v1`, api_key: 'sk-upstream-key-0000000000', max_concurrent: 100, max_queue_wait_ms: 300 }],
    models: [{ name: 'shared', targets: [{ provider: 'busy', model: 'm' }], retry: { max_attempts: 1 } }],
    ...extra,
  };
}

async function createKey(gateway: TestGateway, name: string): Promise<string> {
  const response = await fetch(`${gateway.url}/admin/api/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  expect(response.status).toBe(201);
  return z.object({ key: z.string() }).parse(await response.json()).key;
}

/** Starts a streamed request; resolves once its status is known (the stream itself stays open). */
async function openStream(gateway: TestGateway, key: string, requestId: string, signal: AbortSignal): Promise<{ status: number; code: string | null }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    signal,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': requestId },
    body: JSON.stringify({ model: 'shared', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
  if (response.status === 200) return { status: 200, code: null };
  return { status: response.status, code: errorBody.parse(await response.json()).error.code };
}

describe('slow clients cannot hold connections open', () => {
  let gateway: TestGateway;

  beforeAll(async () => {
    gateway = await startTestGateway({
      logging: { level: 'silent', request_log: { enabled: false } },
      server: { request_timeout_ms: 1000, headers_timeout_ms: 500 },
      providers: [{ name: 'mock', type: 'mock' }],
    });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('200 slow-body connections from one client are all closed by the request timeout', async () => {
    const { port } = new URL(gateway.url);
    const sockets: Socket[] = [];
    const answers: string[] = [];
    const closed = Array.from({ length: 200 }, (_, index) => new Promise<void>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        // A valid key and headers, then a body that promises 100 kB and sends a few bytes.
        socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_MASTER_KEY}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"model":');
      });
      answers[index] = '';
      socket.on('data', (data) => {
        answers[index] += data.toString('utf8');
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
      sockets.push(socket);
    }));
    await Promise.all(closed);
    expect(sockets.every((socket) => socket.destroyed)).toBe(true);
    expect(answers.filter((answer) => answer.startsWith('HTTP/1.1 408')).length).toBe(200);

    // An ordinary request is still served.
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(200);
  }, 30_000);
});

describe('a provider\'s max_concurrent: one key\'s long streams cannot starve the others', () => {
  let upstream: MockUpstream;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    holdingUpstream(upstream);
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('with 140 streams of one key holding every slot, another key gets a 503 provider_overloaded after the queue wait, and a slot once they end', async () => {
    const gateway = await startTestGateway(gatewayConfig(upstream));
    try {
      const [hog, other] = [await createKey(gateway, 'hog'), await createKey(gateway, 'other')];
      const hold = new AbortController();
      const held = await Promise.all(Array.from({ length: 140 }, (_, index) => openStream(gateway, hog, `hold-${index}`, hold.signal)));
      expect(held.filter((result) => result.status === 200)).toHaveLength(100);
      expect(held.filter((result) => result.status === 503 && result.code === 'provider_overloaded')).toHaveLength(40);

      // The upstream never ends the held streams: an answer at all shows the wait is bounded.
      expect(await openStream(gateway, other, 'other-1', new AbortController().signal)).toEqual({ status: 503, code: 'provider_overloaded' });

      // Clients that leave give their slots back.
      hold.abort();
      const deadline = Date.now() + 10_000;
      let answer = await openStream(gateway, other, 'other-2', new AbortController().signal);
      while (answer.status !== 200 && Date.now() < deadline) answer = await openStream(gateway, other, 'other-2', new AbortController().signal);
      expect(answer.status).toBe(200);
    } finally {
      await gateway.close();
    }
  }, 30_000);

  it('with a per-key concurrency default, the hog is refused past its share and another key is served at once', async () => {
    const gateway = await startTestGateway(gatewayConfig(upstream, { limits: { key_max_concurrent: 50 } }));
    try {
      const [hog, other] = [await createKey(gateway, 'hog'), await createKey(gateway, 'other')];
      const hold = new AbortController();
      const held = await Promise.all(Array.from({ length: 140 }, (_, index) => openStream(gateway, hog, `hold-${index}`, hold.signal)));
      expect(held.filter((result) => result.status === 200)).toHaveLength(50);
      expect(held.filter((result) => result.status === 429 && result.code === 'rate_limit_exceeded')).toHaveLength(90);
      expect(await openStream(gateway, other, 'other-1', new AbortController().signal)).toEqual({ status: 200, code: null });
      hold.abort();
    } finally {
      await gateway.close();
    }
  }, 30_000);
});
