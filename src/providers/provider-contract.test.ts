import {
  anthropicError, anthropicMessage, anthropicStream, anthropicStreamError, geminiError, geminiResponse, geminiStream,
  openaiCompletion, openaiError, openaiStream,
} from '../../test/mock-upstream/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from '../../test/mock-upstream/index.js';
import type { MockUpstream } from '../../test/mock-upstream/index.js';
import { createAnthropicProvider } from './anthropic/index.js';
import { createGeminiProvider } from './gemini/index.js';
import { createMockProvider } from './mock/index.js';
import { createOpenAIProvider } from './openai/index.js';
import { runProviderContract } from './provider.contract.js';

const common = { timeoutMs: 5000, maxConnections: 4 };
const retryAfter = (seconds: number | undefined): { headers?: Record<string, string> } =>
  seconds === undefined ? {} : { headers: { 'retry-after': String(seconds) } };

runProviderContract('openai', {
  create: (url) => createOpenAIProvider({ name: 'oai', baseUrl: `${url}/v1`, apiKey: 'k', ...common }),
  model: 'gpt-test',
  scripts: {
    text: (upstream, stream) => upstream.enqueue('/v1/chat/completions', stream ? openaiStream() : openaiCompletion()),
    toolCalls: (upstream, stream) => upstream.enqueue('/v1/chat/completions', stream
      ? openaiStream({ toolCalls: [{ id: 'call_a', name: 'get_weather', argumentChunks: ['{"city":', '"Paris"}'] }, { id: 'call_b', name: 'get_time', argumentChunks: ['{}'] }] })
      : openaiCompletion({ toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }, { id: 'call_b', name: 'get_time', arguments: '{}' }] })),
    error: (upstream, status, seconds) => upstream.enqueue('/v1/chat/completions', openaiError(status, 'contract failure', retryAfter(seconds))),
    midStreamError: (upstream) => {
      const reply = openaiStream();
      reply.done = false;
      reply.events = [...reply.events.slice(0, 2), { data: { error: { message: 'overloaded', type: 'server_error' } } }];
      upstream.enqueue('/v1/chat/completions', reply);
    },
  },
});

runProviderContract('anthropic', {
  create: (url) => createAnthropicProvider({ name: 'claude', baseUrl: url, apiKey: 'k', ...common }),
  model: 'claude-test',
  scripts: {
    text: (upstream, stream) => upstream.enqueue('/v1/messages', stream ? anthropicStream({ ping: true }) : anthropicMessage()),
    toolCalls: (upstream, stream) => upstream.enqueue('/v1/messages', stream
      ? anthropicStream({ text: ['Checking.'], toolUses: [{ id: 'toolu_a', name: 'get_weather', inputChunks: ['{"city": "Pa', 'ris"}'] }, { id: 'toolu_b', name: 'get_time', inputChunks: [] }] })
      : anthropicMessage({ toolUses: [{ id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } }, { id: 'toolu_b', name: 'get_time', input: {} }] })),
    error: (upstream, status, seconds) => upstream.enqueue('/v1/messages', anthropicError(status, 'contract failure', retryAfter(seconds))),
    midStreamError: (upstream) => {
      const reply = anthropicStream();
      reply.events = [...reply.events.slice(0, 3), anthropicStreamError('Overloaded')];
      upstream.enqueue('/v1/messages', reply);
    },
  },
});

const geminiPath = (stream: boolean): string => `/v1beta/models/gemini-test:${stream ? 'streamGenerateContent' : 'generateContent'}`;
let idCounter = 0;
runProviderContract('gemini', {
  create: (url) => createGeminiProvider({ name: 'google', baseUrl: url, apiKey: 'k', newId: () => `id${(idCounter += 1)}`, ...common }),
  model: 'gemini-test',
  scripts: {
    text: (upstream, stream) => upstream.enqueue(geminiPath(stream), stream ? geminiStream() : geminiResponse()),
    toolCalls: (upstream, stream) => upstream.enqueue(geminiPath(stream), stream
      // Two chunks with one call each: indices must not restart per chunk; STOP comes with the second.
      ? { kind: 'sse', status: 200, events: [
        { data: { candidates: [{ index: 0, content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] } }] } },
        { data: {
          candidates: [{ index: 0, finishReason: 'STOP', content: { role: 'model', parts: [{ functionCall: { name: 'get_time', args: {} } }] } }],
          usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 },
        } },
      ] }
      : geminiResponse({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }, { name: 'get_time', args: {} }] })),
    error: (upstream, status, seconds) => {
      upstream.enqueue(geminiPath(false), geminiError(status, 'contract failure', retryAfter(seconds)));
    },
    midStreamError: (upstream) => {
      const reply = geminiStream();
      reply.events = [...reply.events.slice(0, 1), { data: { error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } } }];
      upstream.enqueue(geminiPath(true), reply);
    },
  },
});

runProviderContract('mock', {
  create: () => createMockProvider({ name: 'mock' }),
  model: 'echo',
  scripts: null,
  forcesTools: true,
});

describe('vendor-specific retryable statuses', () => {
  let upstream: MockUpstream;
  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(async () => upstream.close());
  const context = () => ({ requestId: 'r', signal: new AbortController().signal, attempts: [] });
  const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

  it('Anthropic 529 overloaded_error is retryable with its retry-after-ms', async () => {
    const provider = createAnthropicProvider({ name: 'claude', baseUrl: upstream.url, ...common });
    upstream.enqueue('/v1/messages', anthropicError(529, 'Overloaded', { headers: { 'retry-after-ms': '250' } }));
    await expect(provider.chat(request, context())).rejects.toMatchObject({ retryable: true, retryAfterMs: 250, upstreamStatus: 529 });
    await provider.close();
  });

  it('Gemini 503 UNAVAILABLE and 429 RESOURCE_EXHAUSTED are retryable', async () => {
    const provider = createGeminiProvider({ name: 'google', baseUrl: upstream.url, ...common });
    upstream.enqueue('/v1beta/models/m:generateContent', geminiError(503, 'overloaded'), geminiError(429, 'quota', { headers: { 'retry-after': '2' } }));
    await expect(provider.chat(request, context())).rejects.toMatchObject({ retryable: true, upstreamStatus: 503, message: expect.stringContaining('UNAVAILABLE') });
    await expect(provider.chat(request, context())).rejects.toMatchObject({ code: 'provider_rate_limited', retryable: true, retryAfterMs: 2000 });
    await provider.close();
  });
});
