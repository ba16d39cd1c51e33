import { connect } from 'node:net';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request, type Dispatcher } from 'undici';
import { formatSseEvent, openaiStream, startMockUpstream, type MockUpstream } from './index.js';

let mock: MockUpstream;

beforeEach(async () => {
  mock = await startMockUpstream();
});

afterEach(async () => {
  await mock.close();
});

function post(path: string, body: unknown, options: { signal?: AbortSignal; headers?: Record<string, string> } = {}) {
  return request(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
    signal: options.signal,
  });
}

/** Reads a body to its end or to its first error, keeping whatever arrived. */
async function readUntilError(body: Dispatcher.ResponseData['body']): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    for await (const chunk of body) text += Buffer.from(chunk).toString('utf8');
    return { text, error: undefined };
  } catch (error) {
    return { text, error };
  }
}

/** Reads until `needle` has arrived, then pauses the body without destroying it (which would abort the request). */
function readUntil(body: Dispatcher.ResponseData['body'], needle: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (!text.includes(needle)) return;
      body.off('data', onData);
      body.pause();
      resolve(text);
    };
    body.on('data', onData);
    body.once('error', reject);
    body.once('end', () => reject(new Error(`body ended before ${JSON.stringify(needle)} arrived; got ${JSON.stringify(text)}`)));
  });
}

function dataLines(text: string): string[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.length > 0)
    .map((frame) => frame.slice(frame.indexOf('data: ') + 'data: '.length));
}

interface ChatChunk {
  object: string;
  model: string;
  choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>;
  usage?: unknown;
}

function parseChunks(lines: string[]): ChatChunk[] {
  return lines.map((line): ChatChunk => JSON.parse(line));
}

function countTimeouts(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
}

describe('server basics', () => {
  it('listens on 127.0.0.1 with a url that has no trailing slash', () => {
    expect(mock.port).toBeGreaterThan(0);
    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
  });

  it('records method, path, query, headers, raw and parsed body in order', async () => {
    const first = await post('/v1/chat/completions?api-version=2024&x=1', { model: 'a', messages: [] }, {
      headers: { authorization: 'Bearer sk-test', 'x-custom': 'yes' },
    });
    await first.body.text();
    const second = await request(`${mock.url}/v1/models`, { method: 'GET' });
    await second.body.text();
    const third = await request(`${mock.url}/raw`, { method: 'PUT', body: 'not json{' });
    await third.body.text();

    expect(mock.requests).toHaveLength(3);
    const [chat, models, raw] = mock.requests;
    expect(chat).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      query: 'api-version=2024&x=1',
      rawBody: '{"model":"a","messages":[]}',
      body: { model: 'a', messages: [] },
      aborted: false,
    });
    expect(chat?.headers.authorization).toBe('Bearer sk-test');
    expect(chat?.headers['x-custom']).toBe('yes');
    expect(models).toMatchObject({ method: 'GET', path: '/v1/models', query: '', rawBody: '', body: undefined });
    expect(raw).toMatchObject({ method: 'PUT', path: '/raw', rawBody: 'not json{', body: undefined });
  });

  it('uses queued replies FIFO, then the route handler, then the default reply', async () => {
    mock.enqueue('/x', { kind: 'json', body: { n: 1 } }, { kind: 'json', body: { n: 2 } });
    mock.enqueue('/x', { kind: 'json', body: { n: 3 } });
    mock.route('/x', (recorded) => ({ kind: 'json', body: { routed: recorded.query } }));

    const answers: unknown[] = [];
    for (let index = 0; index < 5; index += 1) {
      const response = await request(`${mock.url}/x?i=${index}`);
      answers.push(await response.body.json());
    }
    expect(answers).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { routed: 'i=3' }, { routed: 'i=4' }]);

    mock.reset();
    expect(mock.requests).toHaveLength(0);
    const afterReset = await request(`${mock.url}/x`);
    expect(afterReset.statusCode).toBe(404);
    expect(await afterReset.body.json()).toEqual({
      error: { message: 'not found', type: 'invalid_request_error', code: null, param: null },
    });
    expect(mock.requests).toHaveLength(1);
  });

  it('supports async route handlers and answers 500 when a handler throws', async () => {
    mock.route('/async', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { kind: 'text', status: 202, body: 'later' };
    });
    mock.route('/broken', () => {
      throw new Error('boom');
    });
    const asyncResponse = await request(`${mock.url}/async`);
    expect(asyncResponse.statusCode).toBe(202);
    expect(await asyncResponse.body.text()).toBe('later');

    const broken = await request(`${mock.url}/broken`);
    expect(broken.statusCode).toBe(500);
    expect(await broken.body.json()).toMatchObject({ error: { message: 'mock upstream handler threw: boom' } });
  });

  it('uses the defaultReply option instead of the built-in default', async () => {
    const custom = await startMockUpstream({ defaultReply: (recorded) => ({ kind: 'json', body: { echo: recorded.path } }) });
    try {
      const response = await request(`${custom.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
      expect(await response.body.json()).toEqual({ echo: '/v1/chat/completions' });
    } finally {
      await custom.close();
    }
  });

  it('waitForRequests resolves once enough requests arrived and rejects on timeout', async () => {
    const waiting = mock.waitForRequests(2, 2000);
    await (await request(`${mock.url}/a`)).body.text();
    await (await request(`${mock.url}/b`)).body.text();
    await expect(waiting).resolves.toBeUndefined();
    await expect(mock.waitForRequests(3, 30)).rejects.toThrow(/timed out after 30 ms/);
  });

  it('rejects pending waits on reset instead of leaving them to time out', async () => {
    const waiting = mock.waitForRequests(1, 5000);
    mock.reset();
    await expect(waiting).rejects.toThrow(/reset or closed/);
  });

  it('keeps connections alive between requests', async () => {
    const response = await request(`${mock.url}/v1/models`);
    await response.body.text();
    expect(response.headers.connection).toBe('keep-alive');
  });
});

describe('reply kinds', () => {
  it('json: status, merged headers, content-length and delay', async () => {
    mock.enqueue('/j', { kind: 'json', status: 418, headers: { 'X-Extra': 'on' }, body: { ok: 'é' }, delayMs: 40 });
    const started = performance.now();
    const response = await request(`${mock.url}/j`);
    const text = await response.body.text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(response.statusCode).toBe(418);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['x-extra']).toBe('on');
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toEqual({ ok: 'é' });
    await expect(mock.waitForRequestEnd(0)).resolves.toEqual({ aborted: false });
  });

  it('text: defaults to text/html and lets headers override it', async () => {
    mock.enqueue('/t', { kind: 'text', status: 502, body: '<html>Bad gateway</html>' });
    mock.enqueue('/t', { kind: 'text', headers: { 'Content-Type': 'text/plain' }, body: 'plain' });
    const html = await request(`${mock.url}/t`);
    expect(html.statusCode).toBe(502);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(await html.body.text()).toBe('<html>Bad gateway</html>');
    const plain = await request(`${mock.url}/t`);
    expect(plain.headers['content-type']).toBe('text/plain');
    expect(await plain.body.text()).toBe('plain');
  });

  it('sse: frames events with optional event names, honours delays and appends [DONE]', async () => {
    mock.enqueue('/s', {
      kind: 'sse',
      headers: { 'x-stream': '1' },
      events: [
        { event: 'message_start', data: { type: 'message_start' } },
        { data: 'plain text', delayMs: 30 },
        { data: { n: 3 }, delayMs: 30 },
      ],
      done: true,
    });
    const started = performance.now();
    const response = await request(`${mock.url}/s`);
    const text = await response.body.text();
    const total = performance.now() - started;

    expect(response.headers['content-type']).toBe('text/event-stream');
    expect(response.headers['x-stream']).toBe('1');
    expect(total).toBeGreaterThanOrEqual(55);
    expect(text).toBe(
      'event: message_start\ndata: {"type":"message_start"}\n\n' +
        'data: plain text\n\n' +
        'data: {"n":3}\n\n' +
        'data: [DONE]\n\n',
    );
    await expect(mock.waitForRequestEnd(0)).resolves.toEqual({ aborted: false });
  });

  it('sse: headers are flushed before a delayed first event', async () => {
    mock.enqueue('/s', { kind: 'sse', events: [{ data: 'late', delayMs: 400 }] });
    const started = performance.now();
    const response = await request(`${mock.url}/s`);
    expect(performance.now() - started).toBeLessThan(400);
    expect(await response.body.text()).toBe('data: late\n\n');
    expect(performance.now() - started).toBeGreaterThanOrEqual(395);
  });

  it('sse: delayMs delays the headers and done defaults to false', async () => {
    mock.enqueue('/s', { kind: 'sse', delayMs: 40, events: [{ data: 'only' }] });
    const started = performance.now();
    const response = await request(`${mock.url}/s`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(await response.body.text()).toBe('data: only\n\n');
  });

  it('sse stallAfter: sends that many events, never ends, and reports the client abort', async () => {
    mock.enqueue('/s', { kind: 'sse', events: [{ data: 'one' }, { data: 'two' }, { data: 'three' }], stallAfter: 2, done: true });
    const controller = new AbortController();
    const response = await request(`${mock.url}/s`, { signal: controller.signal });
    const received = await readUntil(response.body, 'data: two\n\n');
    expect(received).toBe('data: one\n\ndata: two\n\n');

    // Nothing more arrives while stalled.
    await expect(mock.waitForRequestEnd(0, 100)).rejects.toThrow(/timed out/);

    controller.abort();
    await expect(mock.waitForRequestEnd(0)).resolves.toEqual({ aborted: true });
    expect(mock.requests[0]?.aborted).toBe(true);
  });

  it('sse resetAfter: the client gets the first events and then a broken stream', async () => {
    mock.enqueue('/s', openaiStream({ content: ['a', 'b', 'c'], resetAfter: 2 }));
    const response = await request(`${mock.url}/s`);
    expect(response.statusCode).toBe(200);
    const { text, error } = await readUntilError(response.body);

    expect(error).toBeInstanceOf(Error);
    const chunks = parseChunks(dataLines(text));
    expect(chunks).toHaveLength(2);
    expect(chunks[1]).toMatchObject({ choices: [{ delta: { content: 'a' } }] });
    expect(text).not.toContain('[DONE]');
    // The server cut the connection on purpose; that is not a client abort.
    await expect(mock.waitForRequestEnd(0)).resolves.toEqual({ aborted: false });
  });

  it('hang: never answers and reports aborted when the client gives up', async () => {
    mock.enqueue('/h', { kind: 'hang' });
    const pending = post('/h', { q: 1 }, { signal: AbortSignal.timeout(100) });
    await mock.waitForRequests(1);
    expect(mock.requests[0]?.body).toEqual({ q: 1 });

    await expect(pending).rejects.toThrow();
    await expect(mock.waitForRequestEnd(0)).resolves.toEqual({ aborted: true });
    expect(mock.requests[0]?.aborted).toBe(true);
  });

  it('hang: close() finishes fast and destroys the hung socket', async () => {
    const upstream = await startMockUpstream({ defaultReply: () => ({ kind: 'hang' }) });
    const pending = request(`${upstream.url}/anything`).then(
      () => 'answered',
      () => 'failed',
    );
    await upstream.waitForRequests(1);
    const started = performance.now();
    await upstream.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await pending).toBe('failed');
  });

  it('reset: the client sees a connection error and no response', async () => {
    mock.enqueue('/r', { kind: 'reset' });
    await expect(post('/r', {})).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|UND_ERR_SOCKET/) });
    await expect(mock.waitForRequestEnd(0)).resolves.toEqual({ aborted: false });
    expect(mock.requests[0]?.aborted).toBe(false);
  });

  it('reset-after-bytes: sends headers and a body prefix, then cuts the connection', async () => {
    const body = JSON.stringify({ id: 'x', choices: [{ message: { content: 'long enough body' } }] });
    mock.enqueue('/rb', { kind: 'reset-after-bytes', status: 200, headers: { 'x-partial': 'yes' }, body, bytes: 10 });
    const response = await request(`${mock.url}/rb`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-partial']).toBe('yes');
    expect(response.headers['content-length']).toBe(String(body.length));
    const { text, error } = await readUntilError(response.body);
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe(body.slice(0, 10));
  });

  it('cancels pending delays when the client closes, so no timer outlives the exchange', async () => {
    mock.enqueue('/slow', { kind: 'json', body: {}, delayMs: 60_000 });
    const before = countTimeouts();
    const socket = connect(mock.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('GET /slow HTTP/1.1\r\nHost: mock\r\n\r\n');
    await mock.waitForRequests(1);
    expect(countTimeouts()).toBe(before + 1);

    socket.destroy();
    await expect(mock.waitForRequestEnd(0)).resolves.toEqual({ aborted: true });
    expect(countTimeouts()).toBe(before);
  });
});

describe('default replies', () => {
  it('chat completion (non-streaming) echoes the model', async () => {
    const response = await post('/v1/chat/completions', { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-test',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from mock' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
  });

  it('answers any path ending in /chat/completions', async () => {
    const response = await post('/openai/deployments/x/chat/completions', { model: 'm' });
    expect(await response.body.json()).toMatchObject({ object: 'chat.completion', model: 'm' });
  });

  it('chat completion stream without usage', async () => {
    const response = await post('/v1/chat/completions', { model: 'gpt-test', stream: true });
    expect(response.headers['content-type']).toBe('text/event-stream');
    const lines = dataLines(await response.body.text());
    expect(lines.at(-1)).toBe('[DONE]');
    const chunks = parseChunks(lines.slice(0, -1));
    expect(chunks).toHaveLength(5);
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-test', choices: [{ delta: { role: 'assistant' } }] });
    const contents = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '');
    expect(contents.join('')).toBe('Hello from mock');
    expect(contents.slice(1, 4).every((content) => content.length > 0)).toBe(true);
    expect(chunks[4]?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.every((chunk) => !('usage' in chunk))).toBe(true);
  });

  it('chat completion stream with include_usage ends with a usage chunk', async () => {
    const response = await post('/v1/chat/completions', { model: 'm', stream: true, stream_options: { include_usage: true } });
    const lines = dataLines(await response.body.text());
    expect(lines.at(-1)).toBe('[DONE]');
    const chunks = parseChunks(lines.slice(0, -1));
    expect(chunks).toHaveLength(6);
    expect(chunks.slice(0, 5).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks[5]).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });
  });

  it('embeddings: one float vector per input', async () => {
    const response = await post('/v1/embeddings', { model: 'emb', input: ['a', 'b', 'c'] });
    expect(await response.body.json()).toEqual({
      object: 'list',
      model: 'emb',
      data: [0, 1, 2].map((index) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })),
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
    const single = await post('/v1/embeddings', { model: 'emb', input: 'one' });
    expect(await single.body.json()).toMatchObject({ data: [{ index: 0 }], usage: { prompt_tokens: 1, total_tokens: 1 } });
  });

  it('embeddings: base64 little-endian float32 when asked', async () => {
    const response = await post('/v1/embeddings', { input: ['a', 'b'], encoding_format: 'base64' });
    const payload: { data: Array<{ embedding: string }> } = JSON.parse(await response.body.text());
    expect(payload.data).toHaveLength(2);
    const bytes = Buffer.from(payload.data[1]?.embedding ?? '', 'base64');
    expect(bytes).toHaveLength(12);
    const decoded = [0, 4, 8].map((offset) => bytes.readFloatLE(offset));
    expect(decoded).toEqual([Math.fround(0.1), Math.fround(0.2), Math.fround(0.3)]);
  });

  it('models list', async () => {
    const response = await request(`${mock.url}/v1/models`);
    expect(await response.body.json()).toEqual({
      object: 'list',
      data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'mock' }],
    });
  });

  it('404 for anything else, including GET on chat completions', async () => {
    const response = await request(`${mock.url}/v1/chat/completions`);
    expect(response.statusCode).toBe(404);
    expect(await response.body.json()).toEqual({
      error: { message: 'not found', type: 'invalid_request_error', code: null, param: null },
    });
  });
});

describe('formatSseEvent', () => {
  it('writes an event line only when the event is named', () => {
    expect(formatSseEvent({ data: 'x' })).toBe('data: x\n\n');
    expect(formatSseEvent({ event: 'ping', data: { type: 'ping' } })).toBe('event: ping\ndata: {"type":"ping"}\n\n');
  });
});
