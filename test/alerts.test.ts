/**
 * Alerts across instances: two alerting subsystems on one real Postgres, fed the same traffic,
 * send exactly one message per firing and one per resolve to a loopback receiver, signed so that
 * the openai SDK's webhooks.unwrap() accepts them; a restarted instance sends nothing again.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../src/core/index.js';
import { createAlerts } from '../src/observability/alerts/index.js';
import type { Alerts, AlertsConfig } from '../src/observability/alerts/index.js';
import { openDatabase } from '../src/storage/index.js';
import type { Database } from '../src/storage/index.js';
import { ManualClock } from './support/manual-clock.js';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';

const SECRET = `whsec_${Buffer.from('alert receiver secret, 32 bytes.').toString('base64')}`;
const sdk = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:1' });

interface Delivery { path: string; body: string; headers: IncomingHttpHeaders }

async function startReceiver(): Promise<{ url: string; received: Delivery[]; close(): Promise<void> }> {
  const received: Delivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8'), headers: request.headers });
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function failure(status: number): GatewayEvent {
  return {
    type: 'request-end',
    summary: {
      requestId: 'r', startedAt: 0, endedAt: 10, durationMs: 10, timeToFirstTokenMs: null, endpoint: 'chat.completions', keyId: null,
      tenantId: null, endUser: null, requestedModel: 'smart', provider: 'primary', providerModel: 'gpt-a', attempts: [], stream: false,
      status, errorCode: status >= 400 ? 'provider_error' : null, errorMessage: 'a secret prompt must never appear', usage: null,
      metadata: null, overheadMs: 0, costUsd: 0, usageEstimated: false,
    },
  };
}

describe('alerts on two instances sharing Postgres', () => {
  let server: PostgresServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let databaseUrl: string;
  const databases: Database[] = [];

  beforeAll(async () => {
    [server, receiver] = await Promise.all([startPostgresServer(), startReceiver()]);
    databaseUrl = await createDatabase(server, 'alerts');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(databases.map((database) => database.close()));
    await receiver.close();
    server.destroy();
  });

  async function instance(clock: ManualClock): Promise<Alerts> {
    const database = openDatabase(databaseUrl, { cwd: process.cwd() });
    databases.push(database);
    await database.migrate();
    const config: AlertsConfig = {
      channels: [
        { name: 'ops', type: 'slack', url: `${receiver.url}/slack` },
        { name: 'hook', type: 'webhook', url: `${receiver.url}/hook`, secret: SECRET },
      ],
      rules: [{
        name: 'errors', type: 'error_rate', threshold: 0.5, thresholds: [], window_ms: 60_000, min_requests: 5, for_ms: 60_000, scope: 'model', channels: [],
      }],
      repeat_interval_ms: 3_600_000, send_resolved: true, evaluate_interval_ms: 30_000,
    };
    return createAlerts({
      config, outbox: database.webhookOutbox, clock, registry: new Registry(), healthScores: () => [], logger: pino({ level: 'silent' }),
    });
  }

  it('sends one firing and one resolve per channel, verifiable with webhooks.unwrap(), and nothing again after a restart', async () => {
    // Near real time: unwrap() checks the signed timestamp against its own clock.
    const clock = new ManualClock(Date.now());
    const first = await instance(clock);
    const second = await instance(clock);
    const both = [first, second];
    const feed = async (status: number) => {
      for (const alerts of both) for (let index = 0; index < 6; index += 1) alerts.handle(failure(status));
    };
    const tick = async (milliseconds: number) => {
      await clock.advance(milliseconds);
      for (const alerts of both) await alerts.evaluate();
      for (const alerts of both) await alerts.settle();
    };

    await feed(502);
    await tick(0);
    expect(receiver.received).toEqual([]);
    await tick(30_000);
    await feed(502);
    await tick(30_000);
    const firing = receiver.received.slice();
    expect(firing.map((delivery) => delivery.path).sort()).toEqual(['/hook', '/slack']);

    const hook = firing.find((delivery) => delivery.path === '/hook');
    const event = await sdk.webhooks.unwrap(hook?.body ?? '', hook?.headers as Record<string, string>, SECRET) as unknown as {
      type: string; data: { rule: string; scope: string; state: string; value: number };
    };
    expect(event).toMatchObject({ type: 'alert.firing', data: { rule: 'errors', scope: 'smart', state: 'firing', value: 1 } });
    const slack = JSON.parse(firing.find((delivery) => delivery.path === '/slack')?.body ?? '{}') as { text: string; blocks: unknown[] };
    expect(slack.text).toContain('errors');
    expect(slack.blocks.length).toBeGreaterThan(0);
    expect(JSON.stringify(firing.map((delivery) => delivery.body))).not.toContain('secret prompt');

    // Recovery: the failures leave the window; both instances resolve, one message per channel.
    await tick(61_000);
    for (const alerts of both) for (let index = 0; index < 6; index += 1) alerts.handle(failure(200));
    await tick(1000);
    const resolved = receiver.received.slice(2);
    expect(resolved.map((delivery) => delivery.path).sort()).toEqual(['/hook', '/slack']);
    const resolvedHook = resolved.find((delivery) => delivery.path === '/hook');
    await expect(sdk.webhooks.unwrap(resolvedHook?.body ?? '', resolvedHook?.headers as Record<string, string>, SECRET))
      .resolves.toMatchObject({ type: 'alert.resolved' });

    // A restart: a new instance on the same database delivers nothing already delivered.
    await first.close();
    const restarted = await instance(clock);
    await clock.advance(120_000);
    await restarted.settle();
    await second.settle();
    expect(receiver.received).toHaveLength(4);
    await Promise.all([second.close(), restarted.close()]);
  }, 60_000);
});

describe('/admin/api/alerts', () => {
  it('lists rules and channels to the master key, and sends a signed test message', async () => {
    const receiver = await startReceiver();
    const test = await startTestGateway({
      logging: { level: 'silent' },
      alerts: {
        channels: [{ name: 'hook', type: 'webhook', url: `${receiver.url}/hook`, secret: SECRET }],
        rules: [{ name: 'errors', type: 'error_rate', threshold: 0.1 }],
      },
    });
    try {
      const headers = { authorization: `Bearer ${TEST_MASTER_KEY}` };
      const listed = await (await fetch(`${test.url}/admin/api/alerts`, { headers })).json() as {
        rules: Array<{ name: string }>; channels: Array<{ name: string; type: string; secret?: string }>; active: unknown[];
      };
      expect(listed.rules.map((rule) => rule.name)).toEqual(['errors']);
      expect(listed.channels).toEqual([{ name: 'hook', type: 'webhook' }]);
      expect(JSON.stringify(listed)).not.toContain('whsec_');
      const sent = await fetch(`${test.url}/admin/api/alerts/test`, { method: 'POST', headers });
      expect(sent.status).toBe(202);
      for (let tries = 0; tries < 100 && receiver.received.length === 0; tries += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      const delivery = receiver.received[0];
      await expect(sdk.webhooks.unwrap(delivery?.body ?? '', delivery?.headers as Record<string, string>, SECRET)).resolves.toMatchObject({ type: 'alert.firing' });
      expect((await fetch(`${test.url}/admin/api/alerts`)).status).toBe(401);
    } finally {
      await test.close();
      await receiver.close();
    }
  });
});
