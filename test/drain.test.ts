import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/index.js';
import { createGateway } from '../src/main.js';
import { openDatabase } from '../src/storage/index.js';
import { createDeferred } from './mock-upstream/deferred.js';
import { openaiCompletion, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream } from './mock-upstream/index.js';

const MASTER_KEY = 'sk-test-master-key-drain';

/** Issue 11, point 6: a request that reaches a draining instance gets the gateway's own answer. */
describe('drain without foreign answers', () => {
  let upstream: MockUpstream;
  let directory: string;

  beforeAll(async () => {
    upstream = await startMockUpstream();
    directory = mkdtempSync(join(tmpdir(), 'sluice-drain-'));
  });
  afterAll(async () => {
    await upstream.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('a keep-alive request arriving during shutdown gets an OpenAI-shaped 503 with a request id, a log row and connection: close', async () => {
    const release = createDeferred<void>();
    const arrived = createDeferred<void>();
    let calls = 0;
    upstream.route('/v1/chat/completions', async () => {
      calls += 1;
      arrived.resolve();
      await release.promise;
      return openaiCompletion({ model: 'gpt-4o-mini' });
    });
    const databaseUrl = `sqlite://${join(directory, 'sluice.db')}`;
    const resolved = resolveConfig({
      auth: { master_key: MASTER_KEY },
      storage: { database_url: databaseUrl },
      providers: [{ name: 'up', type: 'openai', api_key: 'sk-up', base_url: `${upstream.url}/v1` }],
    });
    if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
    const gateway = await createGateway(resolved.config, { cwd: directory, logger: pino({ level: 'silent' }) });
    const url = new URL(await gateway.listen({ host: '127.0.0.1', port: 0 }));

    // Two requests on one keep-alive connection: the first is in flight when the drain begins,
    // the second is sent on the same connection during the drain.
    const body = JSON.stringify({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const request = (id: string) => [
      'POST /v1/chat/completions HTTP/1.1', `host: ${url.host}`, `authorization: Bearer ${MASTER_KEY}`, 'content-type: application/json',
      `x-request-id: ${id}`, 'connection: keep-alive', `content-length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n');
    const ended: string[] = [];
    gateway.events.subscribe((event) => {
      if (event.type === 'request-end') ended.push(event.summary.requestId);
    });
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    socket.on('data', (chunk: Buffer) => { received += chunk.toString(); });
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(request('drain-in-flight'));
    await arrived.promise;

    const closed = gateway.close();
    // The drain has begun once the listener no longer takes connections.
    await until(async () => !(await canConnect(Number(url.port))), 'the listener to close');
    socket.write(request('drain-late'));
    // Its answer waits behind the first one (HTTP/1.1 keeps the order); the gateway ends it at once.
    await until(() => ended.includes('drain-late') || calls > 1, 'the late request to be handled');
    release.resolve();
    await socketClosed;
    await closed;

    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    const [first, second] = answers;
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nx-request-id: drain-late\r\n/i);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    // Another instance can take it: SDKs retry a 503 after retry-after.
    expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(second).toMatch(/\r\ncontent-type: application\/json/i);
    const json: unknown = JSON.parse(second?.slice((second?.indexOf('\r\n\r\n') ?? 0) + 4) ?? '');
    expect(json).toMatchObject({ error: { code: 'service_unavailable', type: 'api_error' } });
    // The upstream never saw the late request.
    expect(calls).toBe(1);

    const database = await openDatabase(databaseUrl, { cwd: directory });
    try {
      const rows = await database.requestLog.list({ since: 0, until: Date.now() + 1 }, { limit: 10 }, {});
      const byId = new Map(rows.data.map((row) => [row.requestId, row]));
      expect(byId.get('drain-in-flight')?.statusCode).toBe(200);
      expect(byId.get('drain-late')).toMatchObject({ statusCode: 503, errorCode: 'service_unavailable' });
    } finally {
      await database.close();
    }
  }, 30_000);
});

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(port, '127.0.0.1');
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
}
