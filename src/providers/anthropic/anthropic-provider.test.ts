import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicStream, startMockUpstream } from '../../../test/mock-upstream/index.js';
import type { MockUpstream } from '../../../test/mock-upstream/index.js';
import { createAnthropicProvider } from './anthropic-provider.js';

let upstream: MockUpstream;
let provider: ReturnType<typeof createAnthropicProvider>;
const context = () => ({ requestId: 'req-1', signal: new AbortController().signal, attempts: [] });

beforeAll(async () => {
  upstream = await startMockUpstream();
  provider = createAnthropicProvider({ name: 'claude', baseUrl: upstream.url, apiKey: 'sk-ant', timeoutMs: 5000, maxConnections: 2, now: () => 1_763_700_000_000 });
});
afterAll(async () => {
  await provider.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

describe('anthropic provider over HTTP', () => {
  it('posts a translated body to /v1/messages with x-api-key and anthropic-version, streaming', async () => {
    upstream.enqueue('/v1/messages', anthropicStream());
    const stream = await provider.streamChat({
      model: 'claude-sonnet-4-5', stream: true, stream_options: { include_usage: true }, max_tokens: 64,
      messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'hi' }],
    }, context());
    let text = '';
    for await (const item of stream.chunks) {
      text += item.chunk.choices[0]?.delta.content ?? '';
      expect(item.native).toBeUndefined();
    }
    expect(text).toBe('Hello from mock');
    const sent = upstream.requests[0];
    expect(sent?.path).toBe('/v1/messages');
    expect(sent?.headers['x-api-key']).toBe('sk-ant');
    expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent?.body).toEqual({
      model: 'claude-sonnet-4-5', max_tokens: 64, stream: true,
      system: [{ type: 'text', text: 'Be terse.' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    });
  });

  it('a stream cut before message_stop is a retryable error, not a finish', async () => {
    const reply = anthropicStream();
    reply.events = reply.events.slice(0, 4);
    upstream.enqueue('/v1/messages', reply);
    const stream = await provider.streamChat({ model: 'c', stream: true, messages: [{ role: 'user', content: 'hi' }] }, context());
    const failure = await (async () => {
      for await (const item of stream.chunks) expect(item.chunk.choices.every((choice) => choice.finish_reason === null)).toBe(true);
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'provider_error', retryable: true, message: expect.stringContaining('message_stop') });
  });

  it('has no embeddings', async () => {
    await expect(provider.embed({ model: 'c', input: 'x' }, context())).rejects.toMatchObject({ code: 'invalid_request' });
  });
});
