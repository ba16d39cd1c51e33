/**
 * Alerts across instances: two alerting subsystems on one real Redis (the evaluator lease) and one
 * real Postgres (outbox and alert state), fed the same traffic, send exactly one message per
 * firing and one per resolve to each channel of a loopback receiver, a burst digested into one
 * message per channel and signed so that the openai SDK's webhooks.unwrap() accepts it; the
 * leader restarting mid-incident sends nothing again.
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
import { RedisLeaseStore, openDatabase } from '../src/storage/index.js';
import { ManualClock } from './support/manual-clock.js';
import { createDatabase, startPostgresServer } from './support/postgres-server.js';
import type { PostgresServer } from './support/postgres-server.js';
import { startRedisServer } from './support/redis-server.js';
import type { RedisServer } from './support/redis-server.js';
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

function request(status: number, model: string): GatewayEvent {
  return {
    type: 'request-end',
    summary: {
      requestId: 'r', startedAt: 0, endedAt: 10, durationMs: 10, timeToFirstTokenMs: null, endpoint: 'chat.completions', keyId: null,
      tenantId: null, endUser: null, requestedModel: model, provider: 'primary', providerModel: 'gpt-a', attempts: [], stream: false,
      status, errorCode: status >= 400 ? 'provider_error' : null, errorMessage: 'a secret prompt must never appear', usage: null,
      metadata: null, overheadMs: 0, costUsd: 0, usageEstimated: false,
    },
  };
}

async function unwrap(delivery: Delivery | undefined): Promise<{ type: string; data: Record<string, unknown> }> {
  return await sdk.webhooks.unwrap(delivery?.body ?? '', delivery?.headers as Record<string, string>, SECRET) as unknown as {
    type: string; data: Record<string, unknown>;
  };
}

describe('alerts on two instances sharing Redis and Postgres', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let databaseUrl: string;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    [postgres, redis, receiver] = await Promise.all([startPostgresServer(), startRedisServer(), startReceiver()]);
    databaseUrl = await createDatabase(postgres, 'alerts');
  }, 60_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await receiver.close();
    await redis.stop();
    postgres.destroy();
  });

  async function instance(clock: ManualClock, name: string): Promise<Alerts> {
    const database = await openDatabase(databaseUrl, { cwd: process.cwd() });
    const leases = new RedisLeaseStore({ url: redis.url, commandTimeoutMs: 2000 });
    closers.push(() => database.close(), () => leases.close());
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
      leases, states: database.alertStates, owner: name,
    });
  }

  it('one digest per channel per firing and per resolve, across a leader restart, verifiable with webhooks.unwrap()', async () => {
    // Near real time: unwrap() checks the signed timestamp against its own clock.
    const clock = new ManualClock(Date.now());
    let both = [await instance(clock, 'a'), await instance(clock, 'b')];
    const feed = (status: number, instances = both) => {
      for (const alerts of instances) for (const model of ['smart', 'fast']) for (let index = 0; index < 6; index += 1) alerts.handle(request(status, model));
    };
    const tick = async (milliseconds: number) => {
      await clock.advance(milliseconds);
      for (const alerts of both) await alerts.evaluate();
      for (const alerts of both) await alerts.settle();
    };

    // Instance b sees the incident 30 s later than a: alone, it would start its own episode.
    feed(502, both.slice(0, 1));
    await tick(0);
    expect(both.filter((alerts) => alerts.leading())).toHaveLength(1);
    expect(receiver.received).toEqual([]);
    await tick(30_000);
    feed(502);
    await tick(30_000);
    // Two models fired in one evaluation: one message per channel, holding both.
    const firing = receiver.received.slice();
    expect(firing.map((delivery) => delivery.path).sort()).toEqual(['/hook', '/slack']);
    const digest = await unwrap(firing.find((delivery) => delivery.path === '/hook'));
    expect(digest.type).toBe('alert.digest');
    const events = digest.data.events as Array<{ type: string; data: { rule: string; scope: string; state: string; value: number } }>;
    expect(events.map((event) => `${event.type} ${event.data.scope}`).sort()).toEqual(['alert.firing fast', 'alert.firing smart']);
    const slack = JSON.parse(firing.find((delivery) => delivery.path === '/slack')?.body ?? '{}') as { text: string; blocks: unknown[] };
    expect(slack.text).toMatch(/^2 alert notifications: .*errors for (smart|fast).*errors for (smart|fast)/);
    expect(slack.blocks.length).toBeGreaterThan(2);
    expect(JSON.stringify(firing.map((delivery) => delivery.body))).not.toContain('secret prompt');

    // The leader restarts mid-incident: the other instance takes the lease and the stored state,
    // the restarted one comes back as a follower; the incident goes on and nothing is re-sent.
    const leader = both.find((alerts) => alerts.leading());
    const follower = both.find((alerts) => !alerts.leading());
    await leader?.close();
    both = [follower as Alerts, await instance(clock, 'a-restarted')];
    for (let round = 0; round < 3; round += 1) {
      feed(502);
      await tick(30_000);
    }
    expect(both.map((alerts) => alerts.leading())).toEqual([true, false]);
    expect(receiver.received).toHaveLength(2);

    // Recovery: the failures leave the window; one resolve per model, digested per channel.
    await tick(61_000);
    feed(200);
    await tick(1000);
    const resolved = receiver.received.slice(2);
    expect(resolved.map((delivery) => delivery.path).sort()).toEqual(['/hook', '/slack']);
    const resolvedDigest = await unwrap(resolved.find((delivery) => delivery.path === '/hook'));
    expect((resolvedDigest.data.events as Array<{ type: string }>).map((event) => event.type)).toEqual(['alert.resolved', 'alert.resolved']);

    // Later rounds on every instance deliver nothing already delivered.
    await tick(120_000);
    expect(receiver.received).toHaveLength(4);
    await Promise.all(both.map((alerts) => alerts.close()));
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
