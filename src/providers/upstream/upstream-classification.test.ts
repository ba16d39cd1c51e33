import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderError } from '../../core/index.js';
import type { ChatRequest } from '../../core/index.js';
import { openaiError, openaiStream, startMockUpstream } from '../../../test/mock-upstream/index.js';
import type { MockUpstream } from '../../../test/mock-upstream/index.js';
import { createOpenAIProvider } from '../openai/index.js';
import { isContextWindowError, isRetryableStatus } from './upstream-client.js';

describe('status classification', () => {
  it('retries 408, 409, 429, 5xx and 529, never 400, 401, 403, 404 or 422', () => {
    for (const status of [408, 409, 429, 500, 502, 503, 504, 529]) expect(isRetryableStatus(status), String(status)).toBe(true);
    for (const status of [400, 401, 403, 404, 422]) expect(isRetryableStatus(status), String(status)).toBe(false);
  });

  it('recognises context-window refusals by code or message', () => {
    expect(isContextWindowError(400, { message: 'x', code: 'context_length_exceeded' })).toBe(true);
    expect(isContextWindowError(400, { message: 'prompt is too long: 210000 tokens > 200000 maximum' })).toBe(true);
    expect(isContextWindowError(400, { message: "This model's maximum context length is 8192 tokens." })).toBe(true);
    expect(isContextWindowError(400, { message: "Invalid value for 'temperature'" })).toBe(false);
    expect(isContextWindowError(500, { message: 'maximum context length' })).toBe(false);
  });
});

describe('errors from a real upstream', () => {
  let upstream: MockUpstream;
  let provider: ReturnType<typeof createOpenAIProvider>;
  const context = () => ({ requestId: 'req-1', signal: new AbortController().signal, attempts: [] });
  const request: ChatRequest = { model: 'gpt', messages: [{ role: 'user', content: 'hi' }] };

  beforeAll(async () => {
    upstream = await startMockUpstream();
    provider = createOpenAIProvider({ name: 'up', baseUrl: `${upstream.url}/v1`, timeoutMs: 2000, maxConnections: 4 });
  });
  afterAll(async () => {
    await provider.close();
    await upstream.close();
  });

  async function failure(work: Promise<unknown>): Promise<ProviderError> {
    const error = await work.then(() => null, (caught: unknown) => caught);
    if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
    return error;
  }

  it('parses retry-after-ms and retry-after onto the error', async () => {
    upstream.enqueue('/v1/chat/completions', openaiError(429, 'slow down', { headers: { 'retry-after-ms': '1500' } }));
    const rateLimited = await failure(provider.chat(request, context()));
    expect(rateLimited).toMatchObject({ code: 'provider_rate_limited', status: 429, retryable: true, retryAfterMs: 1500, upstreamStatus: 429 });
    upstream.enqueue('/v1/chat/completions', openaiError(503, 'busy', { headers: { 'retry-after': '2' } }));
    expect(await failure(provider.chat(request, context()))).toMatchObject({ status: 502, retryable: true, retryAfterMs: 2000 });
  });

  it('422 is not retryable; x-should-retry overrides the status', async () => {
    upstream.enqueue('/v1/chat/completions', openaiError(422, 'unprocessable'));
    expect(await failure(provider.chat(request, context()))).toMatchObject({ status: 422, retryable: false });
    upstream.enqueue('/v1/chat/completions', openaiError(503, 'do not retry', { headers: { 'x-should-retry': 'false' } }));
    expect(await failure(provider.chat(request, context()))).toMatchObject({ retryable: false });
  });

  it('marks a context-window refusal', async () => {
    upstream.enqueue('/v1/chat/completions', openaiError(400, "This model's maximum context length is 8192 tokens.", { code: 'context_length_exceeded' }));
    expect(await failure(provider.chat(request, context()))).toMatchObject({ status: 400, retryable: false, reason: 'context_window_exceeded' });
  });

  it('refused and reset connections are retryable', async () => {
    upstream.enqueue('/v1/chat/completions', { kind: 'reset' });
    expect(await failure(provider.chat(request, context()))).toMatchObject({ code: 'provider_error', retryable: true, upstreamStatus: null });
  });

  it('a stream whose body stops without [DONE] or a finish reason is a failure, not a complete answer', async () => {
    upstream.enqueue('/v1/chat/completions', { ...openaiStream(), events: openaiStream().events.slice(0, 2), done: false });
    const stream = await provider.streamChat(request, context());
    const seen: string[] = [];
    const error = await failure((async () => {
      for await (const item of stream.chunks) seen.push(item.chunk.choices[0]?.delta.content ?? '');
    })());
    expect(error.message).toContain('ended before the answer was complete');
    expect(seen).toEqual(['', 'Hello']);
  });
});
