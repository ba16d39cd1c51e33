import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  anthropicMessage, anthropicStream, geminiResponse, geminiStream, openaiCompletion, openaiStream,
} from '../mock-upstream/index.js';
import type { MockReply } from '../mock-upstream/index.js';
import { MASTER_KEY, startTranslationHarness } from './gateway-harness.js';
import type { TranslationHarness } from './gateway-harness.js';

let harness: TranslationHarness;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  harness = await startTranslationHarness();
  openai = new OpenAI({ baseURL: `${harness.baseUrl}/v1`, apiKey: MASTER_KEY, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: harness.baseUrl, apiKey: MASTER_KEY, maxRetries: 0 });
});
afterAll(async () => harness.close());
beforeEach(() => harness.upstream.reset());

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

interface ProviderCase {
  name: string;
  model: string;
  /** Script a streamed text answer "Hello from mock"; null when the provider needs no upstream. */
  text: (stream: boolean) => void;
  /** Script a streamed answer with two tool calls get_weather {"city":"Paris"} and get_time {}. */
  tools: (stream: boolean) => void;
  /** The mock provider calls a tool only when tool_choice forces it. */
  forcesTool?: boolean;
}

const cases: ProviderCase[] = [
  {
    name: 'openai',
    model: 'oai/gpt-test',
    text: (stream) => harness.upstream.enqueue('/v1/chat/completions', stream ? openaiStream() : openaiCompletion()),
    tools: (stream) => harness.upstream.enqueue('/v1/chat/completions', stream
      ? openaiStream({ toolCalls: [{ id: 'call_a', name: 'get_weather', argumentChunks: ['{"city":', '"Paris"}'] }, { id: 'call_b', name: 'get_time', argumentChunks: ['{}'] }] })
      : openaiCompletion({ toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }, { id: 'call_b', name: 'get_time', arguments: '{}' }] })),
  },
  {
    name: 'anthropic',
    model: 'claude/claude-test',
    text: (stream) => harness.upstream.enqueue('/v1/messages', stream ? anthropicStream({ ping: true }) : anthropicMessage()),
    tools: (stream) => harness.upstream.enqueue('/v1/messages', stream
      ? anthropicStream({ text: ['Checking.'], toolUses: [{ id: 'toolu_a', name: 'get_weather', inputChunks: ['{"city": "Pa', 'ris"}'] }, { id: 'toolu_b', name: 'get_time', inputChunks: [] }] })
      : anthropicMessage({ text: 'Checking.', toolUses: [{ id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } }, { id: 'toolu_b', name: 'get_time', input: {} }] })),
  },
  {
    name: 'gemini',
    model: 'google/gemini-test',
    text: (stream) => enqueueGemini(stream, stream ? geminiStream() : geminiResponse()),
    tools: (stream) => enqueueGemini(stream, stream
      ? geminiStream({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }, { name: 'get_time', args: {} }] })
      : geminiResponse({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }, { name: 'get_time', args: {} }] })),
  },
  { name: 'mock', model: 'mock/echo', text: () => undefined, tools: () => undefined, forcesTool: true },
];

function enqueueGemini(stream: boolean, reply: MockReply): void {
  harness.upstream.enqueue(`/v1beta/models/gemini-test:${stream ? 'streamGenerateContent' : 'generateContent'}`, reply);
}

describe.each(cases)('openai SDK → $name', (testCase) => {
  it('stream().finalChatCompletion() assembles a text stream', async () => {
    testCase.text(true);
    const stream = openai.chat.completions.stream({
      model: testCase.model, messages: [{ role: 'user', content: 'Hello from mock' }], stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]?.message.content).toBe('Hello from mock');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBe((completion.usage?.prompt_tokens ?? -1) + (completion.usage?.completion_tokens ?? -1));
  });

  it('stream().finalChatCompletion() assembles a tool-call stream', async () => {
    testCase.tools(true);
    const stream = openai.chat.completions.stream({
      model: testCase.model,
      messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
      tools: [weatherTool, { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
      ...(testCase.forcesTool ? { tool_choice: { type: 'function' as const, function: { name: 'get_weather' } } } : {}),
    });
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const calls = choice?.message.tool_calls ?? [];
    const names = calls.map((call) => (call.type === 'function' ? call.function.name : call.type));
    if (testCase.forcesTool) {
      expect(names).toEqual(['get_weather']);
      return;
    }
    expect(names).toEqual(['get_weather', 'get_time']);
    const args = calls.map((call) => (call.type === 'function' ? JSON.parse(call.function.arguments) : null));
    expect(args).toEqual([{ city: 'Paris' }, {}]);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);
  });
});

describe.each(cases)('anthropic SDK → $name via /v1/messages', (testCase) => {
  it('messages.create answers with text', async () => {
    testCase.text(false);
    const message = await anthropic.messages.create({
      model: testCase.model, max_tokens: 100, messages: [{ role: 'user', content: 'Hello from mock' }],
    });
    expect(message.type).toBe('message');
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hello from mock' })]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('messages.create answers with tool use', async () => {
    testCase.tools(false);
    const message = await anthropic.messages.create({
      model: testCase.model,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }, { name: 'get_time', input_schema: { type: 'object', properties: {} } }],
      ...(testCase.forcesTool ? { tool_choice: { type: 'tool' as const, name: 'get_weather' } } : {}),
    });
    expect(message.stop_reason).toBe('tool_use');
    const toolUses = message.content.filter((block) => block.type === 'tool_use');
    expect(toolUses[0]).toMatchObject({ type: 'tool_use', name: 'get_weather' });
    if (!testCase.forcesTool) expect(toolUses[0]).toMatchObject({ input: { city: 'Paris' } });
  });

  it('messages.stream().finalMessage() assembles a text stream', async () => {
    testCase.text(true);
    const message = await anthropic.messages.stream({
      model: testCase.model, max_tokens: 100, messages: [{ role: 'user', content: 'Hello from mock' }],
    }).finalMessage();
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Hello from mock' })]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('messages.stream().finalMessage() assembles a tool-use stream', async () => {
    testCase.tools(true);
    const message = await anthropic.messages.stream({
      model: testCase.model,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Weather and time in Paris?' }],
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }, { name: 'get_time', input_schema: { type: 'object', properties: {} } }],
      ...(testCase.forcesTool ? { tool_choice: { type: 'tool' as const, name: 'get_weather' } } : {}),
    }).finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    const toolUses = message.content.filter((block) => block.type === 'tool_use');
    if (testCase.forcesTool) {
      expect(toolUses).toEqual([expect.objectContaining({ name: 'get_weather' })]);
      return;
    }
    expect(toolUses.map((block) => [block.name, block.input])).toEqual([['get_weather', { city: 'Paris' }], ['get_time', {}]]);
  });
});
