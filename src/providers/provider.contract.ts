/**
 * The contract every Provider keeps, whatever vendor it speaks: run by each implementation
 * against a scripted real HTTP upstream (test/mock-upstream). Translating adapters must produce
 * OpenAI-shaped answers the official SDK helpers accept.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../core/index.js';
import type { CallContext, ChatCompletionChunk, ChatRequest, Provider } from '../core/index.js';
import { startMockUpstream } from '../../test/mock-upstream/index.js';
import type { MockUpstream } from '../../test/mock-upstream/index.js';

export interface ProviderContractScripts {
  /** Queue a text answer "Hello from mock" (5 prompt, 3 completion tokens). */
  text(upstream: MockUpstream, stream: boolean): void;
  /** Queue two tool calls: get_weather {"city":"Paris"}, then get_time {}. */
  toolCalls(upstream: MockUpstream, stream: boolean): void;
  /** Queue an error status in the vendor's shape, with an optional retry-after in seconds. */
  error(upstream: MockUpstream, status: number, retryAfterSeconds?: number): void;
  /** Queue a stream that fails after its first content. */
  midStreamError(upstream: MockUpstream): void;
}

export interface ProviderContractSetup {
  /** Builds the provider under test against the upstream's URL. */
  create(upstreamUrl: string): Provider & { close?: () => Promise<void> };
  model: string;
  /** Null for providers that never call an upstream (mock); those skip the upstream-failure checks. */
  scripts: ProviderContractScripts | null;
  /** The mock provider only calls tools when tool_choice forces one. */
  forcesTools?: boolean;
}

function context(): CallContext {
  return { requestId: 'req-contract', signal: new AbortController().signal, attempts: [] };
}

async function collect(provider: Provider, request: ChatRequest): Promise<ChatCompletionChunk[]> {
  const stream = await provider.streamChat({ ...request, stream: true }, context());
  const chunks: ChatCompletionChunk[] = [];
  for await (const item of stream.chunks) chunks.push(item.chunk);
  return chunks;
}

const tools: ChatRequest['tools'] = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
];

export function runProviderContract(name: string, setup: ProviderContractSetup): void {
  describe(`Provider contract: ${name}`, () => {
    let upstream: MockUpstream;
    let provider: Provider & { close?: () => Promise<void> };
    const scripts = setup.scripts;
    const textRequest = (): ChatRequest => ({ model: setup.model, messages: [{ role: 'user', content: 'Hello from mock' }] });
    const toolRequest = (): ChatRequest => ({
      model: setup.model,
      messages: [{ role: 'user', content: 'weather and time?' }],
      tools,
      ...(setup.forcesTools ? { tool_choice: 'required' as const } : {}),
    });

    beforeAll(async () => {
      upstream = await startMockUpstream();
      provider = setup.create(upstream.url);
    });
    afterAll(async () => {
      await provider.close?.();
      await upstream.close();
    });
    beforeEach(() => upstream.reset());

    it('chat answers an OpenAI-shaped completion with consistent usage', async () => {
      scripts?.text(upstream, false);
      const result = await provider.chat(textRequest(), context());
      const choice = result.readCompletion().choices[0];
      expect(result.readCompletion().object).toBe('chat.completion');
      expect(choice?.message).toMatchObject({ role: 'assistant', content: 'Hello from mock' });
      expect(choice?.finish_reason).toBe('stop');
      expect(result.usage).not.toBeNull();
      expect(result.usage?.totalTokens).toBe((result.usage?.promptTokens ?? 0) + (result.usage?.completionTokens ?? 0));
      expect(result.usage?.completionTokens).toBeGreaterThan(0);
    });

    it('a text stream: role first, content in order, exactly one finish_reason, usage last', async () => {
      scripts?.text(upstream, true);
      const chunks = await collect(provider, textRequest());
      const withChoices = chunks.filter((chunk) => chunk.choices.length > 0);
      expect(withChoices[0]?.choices[0]?.delta.role).toBe('assistant');
      expect(withChoices.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Hello from mock');
      const finishes = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter((reason) => reason !== null);
      expect(finishes).toEqual(['stop']);
      const last = chunks[chunks.length - 1];
      expect(last?.choices).toEqual([]);
      expect(last?.usage?.total_tokens).toBe((last?.usage?.prompt_tokens ?? 0) + (last?.usage?.completion_tokens ?? 0));
      expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    });

    it('chat returns tool calls with JSON arguments and finish_reason tool_calls', async () => {
      scripts?.toolCalls(upstream, false);
      const result = await provider.chat(toolRequest(), context());
      const choice = result.readCompletion().choices[0];
      expect(choice?.finish_reason).toBe('tool_calls');
      const calls = choice?.message.tool_calls ?? [];
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) {
        expect(call.type).toBe('function');
        expect(call.id).not.toBe('');
        expect(typeof JSON.parse(call.function.arguments)).toBe('object');
      }
      if (!setup.forcesTools) expect(calls.map((call) => call.function.name)).toEqual(['get_weather', 'get_time']);
    });

    it('a tool-call stream: ordinal indices, id/type/name on each first delta, arguments that parse', async () => {
      scripts?.toolCalls(upstream, true);
      const chunks = await collect(provider, toolRequest());
      const calls = new Map<number, { id: string; name: string; arguments: string }>();
      for (const chunk of chunks) {
        for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
          const known = calls.get(delta.index);
          if (known === undefined) {
            expect(delta.id).toBeTruthy();
            expect(delta.type).toBe('function');
            expect(delta.function?.name).toBeTruthy();
            calls.set(delta.index, { id: delta.id ?? '', name: delta.function?.name ?? '', arguments: delta.function?.arguments ?? '' });
          } else {
            expect(delta.id === undefined || delta.id === known.id).toBe(true);
            known.arguments += delta.function?.arguments ?? '';
          }
        }
      }
      expect([...calls.keys()]).toEqual([...Array(calls.size).keys()]);
      for (const call of calls.values()) expect(typeof JSON.parse(call.arguments)).toBe('object');
      if (!setup.forcesTools) {
        expect([...calls.values()].map((call) => [call.name, JSON.parse(call.arguments)])).toEqual([['get_weather', { city: 'Paris' }], ['get_time', {}]]);
        expect(new Set([...calls.values()].map((call) => call.id)).size).toBe(2);
      }
      const finishes = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter((reason) => reason !== null);
      expect(finishes).toEqual(['tool_calls']);
    });

    it.skipIf(scripts === null)('429 is a retryable provider_rate_limited error carrying retry-after', async () => {
      scripts?.error(upstream, 429, 7);
      const failure = await provider.chat(textRequest(), context()).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).toMatchObject({ code: 'provider_rate_limited', retryable: true, retryAfterMs: 7000, upstreamStatus: 429 });
    });

    it.skipIf(scripts === null)('5xx is retryable; 400 is not, and keeps its status and message', async () => {
      scripts?.error(upstream, 500);
      await expect(provider.chat(textRequest(), context())).rejects.toMatchObject({ retryable: true, upstreamStatus: 500 });
      scripts?.error(upstream, 400);
      const failure = await provider.chat(textRequest(), context()).catch((error: unknown) => error);
      expect(failure).toMatchObject({ code: 'provider_error', status: 400, retryable: false });
      expect(failure instanceof Error ? failure.message : '').toContain('contract failure');
    });

    it.skipIf(scripts === null)('a stream that fails midway throws after its first content (no fake finish)', async () => {
      scripts?.midStreamError(upstream);
      const stream = await provider.streamChat({ ...textRequest(), stream: true }, context());
      const seen: ChatCompletionChunk[] = [];
      const failure = await (async () => {
        for await (const item of stream.chunks) seen.push(item.chunk);
      })().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      expect(seen.some((chunk) => (chunk.choices[0]?.delta.content ?? '') !== '')).toBe(true);
      expect(seen.some((chunk) => chunk.choices.some((choice) => choice.finish_reason !== null))).toBe(false);
    });
  });
}
