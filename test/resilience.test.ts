/**
 * Black-box resilience tests: a real gateway in front of scripted real upstreams on 127.0.0.1,
 * driven by the official openai client (maxRetries: 0, so every retry seen is the gateway's).
 */
import { createServer } from 'node:net';
import OpenAI, { APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/index.js';
import type { ConfigInput } from '../src/config/index.js';
import type { GatewayEvent, RequestSummary } from '../src/core/index.js';
import { createGateway } from '../src/main.js';
import type { Gateway } from '../src/main.js';
import { openaiError, openaiStream, startMockUpstream } from './mock-upstream/index.js';
import type { MockReply, MockUpstream } from './mock-upstream/index.js';

const MASTER_KEY = 'sk-test-master-key';
const CHAT = '/v1/chat/completions';
const messages: Array<{ role: 'user'; content: string }> = [{ role: 'user', content: 'hi' }];

let primary: MockUpstream;
let backup: MockUpstream;
let gateway: Gateway | null = null;
let events: GatewayEvent[] = [];

beforeEach(async () => {
  [primary, backup] = await Promise.all([startMockUpstream(), startMockUpstream()]);
  events = [];
});

afterEach(async () => {
  await gateway?.close();
  gateway = null;
  await Promise.all([primary.close(), backup.close()]);
});

type ModelInput = NonNullable<ConfigInput['models']>[number];

async function start(
  model: Partial<ModelInput>, providerUrls: Record<string, string> = {}, extraModels: ModelInput[] = [], directModels = false,
): Promise<OpenAI> {
  const urls = { primary: `${primary.url}/v1`, backup: `${backup.url}/v1`, ...providerUrls };
  const resolved = resolveConfig({
    auth: { master_key: MASTER_KEY },
    logging: { level: 'silent' },
    allow_direct_models: directModels,
    providers: Object.entries(urls).map(([name, url]) => ({ name, type: 'openai', base_url: url, timeout_ms: 5000 })),
    models: [{
      name: 'smart',
      targets: [{ provider: 'primary', model: 'gpt-a' }, { provider: 'backup', model: 'gpt-b' }],
      retry: { max_attempts: 1 },
      ...model,
    }, ...extraModels],
  });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  gateway = await createGateway(resolved.config);
  gateway.events.subscribe((event) => {
    events.push(event);
    for (const waiter of [...eventWaiters]) waiter();
  });
  const url = await gateway.listen({ host: '127.0.0.1', port: 0 });
  return new OpenAI({ apiKey: MASTER_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
}

function summaries(): RequestSummary[] {
  return events.flatMap((event) => (event.type === 'request-end' ? [event.summary] : []));
}

const eventWaiters = new Set<() => void>();

/** Resolves as soon as `count` request-end events arrived (the deadline only turns a hang into a failure). */
function summariesArrived(count: number, deadlineMs = 5000): Promise<RequestSummary[]> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (summaries().length < count) return;
      eventWaiters.delete(check);
      clearTimeout(timer);
      resolve(summaries());
    };
    const timer = setTimeout(() => {
      eventWaiters.delete(check);
      reject(new Error(`${summaries().length} of ${count} request-end events after ${deadlineMs} ms`));
    }, deadlineMs);
    eventWaiters.add(check);
    check();
  });
}

async function lastSummary(): Promise<RequestSummary> {
  const summary = (await summariesArrived(1)).at(-1);
  if (summary === undefined) throw new Error('no request-end event');
  return summary;
}

async function expectApiError(work: Promise<unknown>): Promise<APIError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(APIError);
    if (error instanceof APIError) return error;
  }
  throw new Error('expected an APIError');
}

function modelOf(body: unknown): string | undefined {
  return typeof body === 'object' && body !== null && 'model' in body && typeof body.model === 'string' ? body.model : undefined;
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

describe('retries', () => {
  it('429 with retry-after, then success: one answer, two attempts', async () => {
    primary.enqueue(CHAT, openaiError(429, 'Rate limit reached', { headers: { 'retry-after-ms': '80' } }));
    const client = await start({ targets: [{ provider: 'primary', model: 'gpt-a' }], retry: { max_attempts: 3, initial_delay_ms: 1 } });
    const startedAt = Date.now();
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(80);
    expect(data.choices[0]?.message.content).toBe('Hello from mock');
    expect(primary.requests).toHaveLength(2);
    expect(response.headers.get('x-sluice-attempts')).toBe('2');
    expect(response.headers.get('x-sluice-attempt-trail')).toMatch(
      /^primary\/gpt-a;kind=first;status=429;error=provider_rate_limited;ms=\d+, primary\/gpt-a;kind=retry;status=200;ms=\d+$/,
    );
    const summary = await lastSummary();
    expect(summary.status).toBe(200);
    expect(summary.attempts.map((attempt) => attempt.status)).toEqual([429, 200]);
  });

  it('a 400 is never retried nor sent to another target', async () => {
    primary.enqueue(CHAT, openaiError(400, "Invalid value for 'temperature'", { param: 'temperature' }));
    const client = await start({ retry: { max_attempts: 3, initial_delay_ms: 1 } });
    const error = await expectApiError(client.chat.completions.create({ model: 'smart', messages }));
    expect(error.status).toBe(400);
    expect(error.message).toContain("Invalid value for 'temperature'");
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(0);
    expect(error.headers?.get('x-sluice-attempts')).toBe('1');
  });
});

describe('fallbacks', () => {
  it('500 falls back to the next target', async () => {
    primary.enqueue(CHAT, openaiError(500, 'The server had an error'));
    const client = await start({});
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from mock');
    expect(response.headers.get('x-sluice-provider')).toBe('backup');
    expect(response.headers.get('x-sluice-model')).toBe('gpt-b');
    expect(response.headers.get('x-sluice-attempt-trail')).toMatch(/^primary\/gpt-a;kind=first;status=500;error=provider_error;ms=\d+, backup\/gpt-b;kind=fallback;status=200/);
  });

  it('connection refused falls back to the next target', async () => {
    const client = await start({}, { primary: await closedPortUrl() });
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from mock');
    expect(response.headers.get('x-sluice-attempt-trail')).toMatch(/^primary\/gpt-a;kind=first;status=none;error=provider_error/);
  });

  it('when everything fails: 502 listing every attempt, and the SDK is told not to retry', async () => {
    primary.enqueue(CHAT, openaiError(500, 'primary broke'));
    backup.enqueue(CHAT, openaiError(503, 'backup overloaded'));
    const client = await start({});
    const error = await expectApiError(client.chat.completions.create({ model: 'smart', messages }));
    expect(error.status).toBe(502);
    expect(error.code).toBe('provider_error');
    expect(error.message).toMatch(/primary\/gpt-a: 500 provider_error .*backup\/gpt-b: 503 provider_error/);
    expect(error.headers?.get('x-should-retry')).toBe('false');
    expect(error.headers?.get('x-sluice-attempts')).toBe('2');
    const summary = await lastSummary();
    expect(summary.status).toBe(502);
    expect(summary.attempts.map((attempt) => [attempt.provider, attempt.status, attempt.errorCode])).toEqual([
      ['primary', 500, 'provider_error'], ['backup', 503, 'provider_error'],
    ]);
  });

  it('when every attempt was rate-limited: 429 with a bounded retry-after', async () => {
    primary.enqueue(CHAT, openaiError(429, 'slow down', { headers: { 'retry-after': '3' } }));
    backup.enqueue(CHAT, openaiError(429, 'slow down', { headers: { 'retry-after': '600' } }));
    const client = await start({});
    const error = await expectApiError(client.chat.completions.create({ model: 'smart', messages }));
    expect(error.status).toBe(429);
    expect(error.code).toBe('provider_rate_limited');
    expect(error.headers?.get('retry-after-ms')).toBe('3000');
    expect(error.headers?.get('retry-after')).toBe('3');
  });

  it('a static fallback_response answers (streamed too), marked and logged as a failure', async () => {
    primary.route(CHAT, () => openaiError(500, 'down'));
    backup.route(CHAT, () => openaiError(500, 'down'));
    const client = await start({ fallback_response: 'We are busy; please try again shortly.' });
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('We are busy; please try again shortly.');
    expect(response.headers.get('x-sluice-fallback')).toBe('static');
    const summary = await lastSummary();
    expect(summary.fallback).toBe('static');
    expect(summary.errorCode).toBe('provider_error');
    expect(summary.attempts).toHaveLength(2);

    const stream = await client.chat.completions.create({ model: 'smart', messages, stream: true }).withResponse();
    expect(stream.response.headers.get('x-sluice-fallback')).toBe('static');
    let text = '';
    for await (const part of stream.data) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe('We are busy; please try again shortly.');
  });
});

describe('timeouts', () => {
  it('a hung upstream ends in a 504 within the request deadline', async () => {
    primary.enqueue(CHAT, { kind: 'hang' });
    const client = await start({ targets: [{ provider: 'primary', model: 'gpt-a' }], timeout_ms: 300 });
    const startedAt = Date.now();
    const error = await expectApiError(client.chat.completions.create({ model: 'smart', messages }));
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(error.status).toBe(504);
    expect(error.code).toBe('provider_timeout');
    expect((await primary.waitForRequestEnd(0)).aborted).toBe(true);
  });

  it('200 then a stall before the first token falls back; the client sees one clean stream', async () => {
    primary.enqueue(CHAT, openaiStream({ stallAfter: 1 }));
    const client = await start({ first_token_timeout_ms: 300 });
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages, stream: true }).withResponse();
    expect(response.headers.get('x-sluice-provider')).toBe('backup');
    const roles: string[] = [];
    let text = '';
    for await (const part of data) {
      if (part.choices[0]?.delta.role !== undefined) roles.push(part.choices[0].delta.role);
      text += part.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from mock');
    expect(roles).toEqual(['assistant']);
    expect((await primary.waitForRequestEnd(0)).aborted).toBe(true);
    const summary = await lastSummary();
    expect(summary.status).toBe(200);
    expect(summary.attempts.map((attempt) => attempt.errorCode)).toEqual(['provider_timeout', null]);
  });

  it('a reset after some content ends the stream with one error frame and no [DONE]', async () => {
    primary.enqueue(CHAT, openaiStream({ resetAfter: 2 }));
    const client = await start({});
    const stream = await client.chat.completions.create({ model: 'smart', messages, stream: true });
    let text = '';
    await expect((async () => {
      for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    })()).rejects.toBeInstanceOf(APIError);
    expect(text).toBe('Hello');
    expect(backup.requests).toHaveLength(0);

    primary.enqueue(CHAT, openaiStream({ resetAfter: 2 }));
    const raw = await fetch(`${client.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages, stream: true }),
    });
    const body = await raw.text();
    expect(body).not.toContain('[DONE]');
    expect(body).not.toContain('finish_reason":"stop"');
    const frames = body.split('\n\n').filter((frame) => frame.startsWith('data: '));
    expect(frames.at(-1)).toContain('"error"');
    expect(frames.filter((frame) => frame.includes('"error"'))).toHaveLength(1);
  });
});

describe('circuit breaker', () => {
  it('opens, answers 503 with retry-after, half-opens after the cooldown and closes; /health/ready shows it', async () => {
    primary.enqueue(CHAT, openaiError(500, 'one'), openaiError(500, 'two'));
    const client = await start({
      targets: [{ provider: 'primary', model: 'gpt-a' }],
      circuit_breaker: { failure_threshold: 2, window_ms: 10_000, cooldown_ms: 1000, half_open_successes: 1 },
    });
    const base = client.baseURL.replace(/\/v1$/, '');
    const circuit = async (): Promise<unknown> => (await fetch(`${base}/health/ready`)).json();
    for (let index = 0; index < 2; index += 1) {
      expect((await expectApiError(client.chat.completions.create({ model: 'smart', messages }))).status).toBe(502);
    }
    expect(await circuit()).toMatchObject({ status: 'ready', checks: { providers: { primary: { circuit: 'open', targets: { 'gpt-a': 'open' } }, backup: { circuit: 'closed' } } } });
    const skipped = await expectApiError(client.chat.completions.create({ model: 'smart', messages }));
    expect(skipped.status).toBe(503);
    expect(skipped.code).toBe('provider_unavailable');
    expect(Number(skipped.headers?.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(Number(skipped.headers?.get('retry-after-ms'))).toBeLessThanOrEqual(1000);
    expect(primary.requests).toHaveLength(2);

    await new Promise((resolve) => setTimeout(resolve, 1020));
    expect(await circuit()).toMatchObject({ checks: { providers: { primary: { circuit: 'half_open' } } } });
    await client.chat.completions.create({ model: 'smart', messages });
    expect(await circuit()).toMatchObject({ checks: { providers: { primary: { circuit: 'closed', targets: {} } } } });
    const changes = events.flatMap((event) => (event.type === 'circuit-state' ? [`${event.change.from}->${event.change.to}`] : []));
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });
});

describe('load balancing and hedging', () => {
  it('weights hold within statistical tolerance over real requests', async () => {
    const client = await start({
      strategy: 'loadbalance',
      targets: [{ provider: 'primary', model: 'gpt-a', weight: 3 }, { provider: 'backup', model: 'gpt-b', weight: 1 }],
    });
    const total = 200;
    for (let index = 0; index < total; index += 10) {
      await Promise.all(Array.from({ length: 10 }, () => client.chat.completions.create({ model: 'smart', messages })));
    }
    // Expected 150 / 50; the standard deviation is about 6.1, so ±4σ is ±25.
    expect(Math.abs(primary.requests.length - 150)).toBeLessThanOrEqual(25);
    expect(primary.requests.length + backup.requests.length).toBe(total);
  });

  it('a hedge wins over a slow primary; both attempts are in the trail', async () => {
    primary.enqueue(CHAT, { ...openaiStream(), delayMs: 2000 });
    const client = await start({ strategy: 'hedge', hedge_after_ms: 100 });
    const startedAt = Date.now();
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages, stream: true }).withResponse();
    let text = '';
    for await (const part of data) text += part.choices[0]?.delta.content ?? '';
    expect(Date.now() - startedAt).toBeLessThan(1500);
    expect(text).toBe('Hello from mock');
    expect(response.headers.get('x-sluice-provider')).toBe('backup');
    expect(response.headers.get('x-sluice-attempt-trail')).toMatch(/^primary\/gpt-a;kind=first;status=none;error=client_closed;ms=\d+, backup\/gpt-b;kind=hedge;status=200;ms=\d+$/);
    expect((await primary.waitForRequestEnd(0)).aborted).toBe(true);
    const summary = await lastSummary();
    expect(summary.attempts.map((attempt) => [attempt.provider, attempt.errorCode])).toEqual([
      ['primary', 'client_closed'], ['backup', null],
    ]);
  });
});

describe('context windows, direct models and clients that leave', () => {
  it('a context-window refusal goes to context_window_fallbacks', async () => {
    primary.enqueue(CHAT, openaiError(400, "This model's maximum context length is 8192 tokens.", { code: 'context_length_exceeded' }));
    const client = await start(
      { targets: [{ provider: 'primary', model: 'gpt-small' }], context_window_fallbacks: ['long'] },
      {},
      [{ name: 'long', targets: [{ provider: 'backup', model: 'gpt-long' }] }],
    );
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from mock');
    expect(response.headers.get('x-sluice-model')).toBe('gpt-long');
    expect(response.headers.get('x-sluice-attempt-trail')).toMatch(/kind=first;status=400;error=provider_error.*backup\/gpt-long;kind=fallback;status=200/);
  });

  it('a directly addressed provider/model is retried too', async () => {
    backup.enqueue(CHAT, openaiError(503, 'busy', { headers: { 'retry-after-ms': '10' } }));
    const client = await start({}, {}, [], true);
    const { response } = await client.chat.completions.create({ model: 'backup/gpt-x', messages }).withResponse();
    expect(response.headers.get('x-sluice-attempts')).toBe('2');
    expect(backup.requests.map((request) => modelOf(request.body))).toEqual(['gpt-x', 'gpt-x']);
  });

  it('a client that disconnects aborts the upstream call and the backoff below it', async () => {
    primary.enqueue(CHAT, { kind: 'hang' });
    const client = await start({ retry: { max_attempts: 3, initial_delay_ms: 1 } });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'smart', messages, stream: true }, { signal: controller.signal });
    await primary.waitForRequests(1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    expect((await primary.waitForRequestEnd(0)).aborted).toBe(true);
    const summary = await lastSummary();
    expect(summary.errorCode).toBe('client_closed');
    expect(primary.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(0);
  });

  it('a stream cut off without [DONE] after content ends with an error frame, never a fake finish', async () => {
    const cut = openaiStream();
    primary.enqueue(CHAT, { ...cut, events: cut.events.slice(0, 3), done: false });
    const client = await start({});
    const stream = await client.chat.completions.create({ model: 'smart', messages, stream: true });
    let text = '';
    await expect((async () => {
      for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    })()).rejects.toThrow(/ended before the answer was complete/);
    expect(text).toBe('Hello from');
  });
});

describe('a client that leaves during a backoff wait', () => {
  it('stops the retry at once and is logged as client_closed', async () => {
    primary.enqueue(CHAT, openaiError(503, 'busy', { headers: { 'retry-after-ms': '5000' } }));
    const client = await start({ targets: [{ provider: 'primary', model: 'gpt-a' }], retry: { max_attempts: 3, initial_delay_ms: 1, max_delay_ms: 8000 } });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'smart', messages }, { signal: controller.signal });
    await primary.waitForRequestEnd(0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(pending).rejects.toThrow();
    const summary = await lastSummary();
    expect(summary.errorCode).toBe('client_closed');
    expect(summary.durationMs).toBeLessThan(2000);
    expect(primary.requests).toHaveLength(1);
  });
});

describe('no request lost', () => {
  it('under mixed faults every request gets exactly one well-formed outcome and one log event', async () => {
    const faults: MockReply[] = [
      openaiError(500, 'boom'),
      openaiError(429, 'slow down', { headers: { 'retry-after-ms': '20' } }),
      { kind: 'reset' },
      { kind: 'hang' },
      openaiStream({ stallAfter: 1 }),
      openaiStream({ resetAfter: 2 }),
      openaiError(400, 'bad request'),
    ];
    let served = 0;
    const faulty = (): MockReply => {
      served += 1;
      return served % 3 === 0 ? openaiStream() : faults[served % faults.length] ?? openaiStream();
    };
    primary.route(CHAT, faulty);
    backup.route(CHAT, faulty);
    const client = await start({ timeout_ms: 600, first_token_timeout_ms: 200, retry: { max_attempts: 2, initial_delay_ms: 5, max_delay_ms: 50 } });
    const total = 40;
    const outcomes = await Promise.all(Array.from({ length: total }, async () => {
      try {
        const stream = await client.chat.completions.create({ model: 'smart', messages, stream: true });
        let text = '';
        for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
        return text === 'Hello from mock' ? 'ok' : `partial:${text}`;
      } catch (error) {
        if (!(error instanceof APIError)) return `unexpected:${String(error)}`;
        return error.status === undefined ? 'stream-error' : `status:${error.status}`;
      }
    }));
    for (const outcome of outcomes) expect(outcome).toMatch(/^(ok|stream-error|status:(400|429|502|503|504))$/);
    expect(outcomes.filter((outcome) => outcome === 'ok').length).toBeGreaterThan(0);
    expect(await summariesArrived(total)).toHaveLength(total);
    expect(new Set(summaries().map((summary) => summary.requestId)).size).toBe(total);
  });
});
