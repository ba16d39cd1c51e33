import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMockUpstream } from '../../../test/mock-upstream/index.js';
import type { MockUpstream } from '../../../test/mock-upstream/index.js';
import { geminiStream } from '../../../test/mock-upstream/index.js';
import { createGeminiProvider } from './gemini-provider.js';
import { decodeToolCallId } from './tool-call-id.js';

let upstream: MockUpstream;
let provider: ReturnType<typeof createGeminiProvider>;
const context = () => ({ requestId: 'req-1', signal: new AbortController().signal, attempts: [] });

beforeAll(async () => {
  upstream = await startMockUpstream();
  provider = createGeminiProvider({ name: 'google', baseUrl: upstream.url, apiKey: 'g-key', timeoutMs: 5000, maxConnections: 2 });
});
afterAll(async () => {
  await provider.close();
  await upstream.close();
});
beforeEach(() => upstream.reset());

describe('gemini provider over HTTP', () => {
  it('streams from streamGenerateContent?alt=sse with x-goog-api-key, and keeps thought signatures in tool call ids', async () => {
    const reply = geminiStream({ functionCalls: [{ name: 'f', args: { a: 1 } }] });
    const event = reply.events[0];
    if (event !== undefined && typeof event.data === 'object') {
      event.data = { candidates: [{ index: 0, finishReason: 'STOP', content: { role: 'model', parts: [{ functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'SIG/+=' }] } }] };
    }
    upstream.enqueue('/v1beta/models/gemini-3-pro:streamGenerateContent', reply);
    // Gemini's own "models/…" spelling reaches the same path.
    const stream = await provider.streamChat({ model: 'models/gemini-3-pro', messages: [{ role: 'user', content: 'hi' }], stream: true }, context());
    const ids: string[] = [];
    for await (const item of stream.chunks) for (const call of item.chunk.choices[0]?.delta.tool_calls ?? []) if (call.id) ids.push(call.id);
    expect(ids.map((id) => decodeToolCallId(id).signature)).toEqual(['SIG/+=']);
    const sent = upstream.requests[0];
    expect(sent?.query).toBe('alt=sse');
    expect(sent?.headers['x-goog-api-key']).toBe('g-key');
    expect(sent?.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  });

  it('embeds one text through embedContent and several through batchEmbedContents, honouring base64', async () => {
    upstream.enqueue('/v1beta/models/text-embedding-004:embedContent', { kind: 'json', body: { embedding: { values: [0.5, -1] } } });
    const single = await provider.embed({ model: 'text-embedding-004', input: 'hello', dimensions: 2 }, context());
    expect(single.response.data).toEqual([{ object: 'embedding', index: 0, embedding: [0.5, -1] }]);
    expect(upstream.requests[0]?.body).toEqual({ content: { parts: [{ text: 'hello' }] }, outputDimensionality: 2 });

    upstream.enqueue('/v1beta/models/text-embedding-004:batchEmbedContents', { kind: 'json', body: { embeddings: [{ values: [1] }, { values: [2] }] } });
    const batch = await provider.embed({ model: 'text-embedding-004', input: ['a', 'b'], encoding_format: 'base64' }, context());
    expect(batch.response.data.map((item) => Buffer.from(String(item.embedding), 'base64').readFloatLE(0))).toEqual([1, 2]);
    expect(upstream.requests[1]?.body).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] } },
      ],
    });
  });

  it('refuses token-array embedding input before calling upstream', async () => {
    await expect(provider.embed({ model: 'e', input: [[1, 2]] }, context())).rejects.toMatchObject({ code: 'invalid_request', param: 'input[0]' });
    expect(upstream.requests).toHaveLength(0);
  });

  it('a stream that ends without a finish reason is an error, not a fake stop', async () => {
    upstream.enqueue('/v1beta/models/g:streamGenerateContent', {
      kind: 'sse', events: [{ data: { candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'Hel' }] } }] } }],
    });
    const stream = await provider.streamChat({ model: 'g', messages: [{ role: 'user', content: 'hi' }], stream: true }, context());
    const reasons: Array<string | null> = [];
    const failure = await (async () => {
      for await (const item of stream.chunks) for (const choice of item.chunk.choices) reasons.push(choice.finish_reason);
    })().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'provider_error', retryable: true });
    expect(reasons.filter((reason) => reason !== null)).toEqual([]);
  });
});
