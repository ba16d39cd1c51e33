import { createOpenAI } from '@ai-sdk/openai';
import { Agent, OpenAIProvider, Runner, getDefaultModel, setTracingDisabled } from '@openai/agents';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anthropicStream, openaiCompletion, openaiStream } from '../mock-upstream/index.js';
import { TEST_MASTER_KEY } from '../support/start-gateway.js';
import { startResponsesHarness } from './responses-harness.js';
import type { ResponsesHarness } from './responses-harness.js';

/** Clients whose default OpenAI transport is the Responses API, against Sluice. */
let harness: ResponsesHarness;
const agentsModel = getDefaultModel();

beforeAll(async () => {
  harness = await startResponsesHarness({
    // The agents SDK's own default model name, served by the Anthropic-typed mock.
    models: [{ name: agentsModel, retry: { max_attempts: 1 }, targets: [{ provider: 'claude', model: 'claude-test' }] }],
  });
});
afterAll(async () => harness.close());
beforeEach(() => harness.upstream.reset());

describe('Vercel AI SDK, default openai(model) (the Responses API)', () => {
  const provider = () => createOpenAI({ baseURL: `${harness.gateway.url}/v1`, apiKey: TEST_MASTER_KEY });

  it('generateText answers through /v1/responses', async () => {
    harness.upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Hello from mock' }));
    const result = await generateText({ model: provider()('oai/gpt-test'), prompt: 'Say hello', maxRetries: 0 });
    expect(result.text).toBe('Hello from mock');
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    expect(harness.upstream.requests[0]?.path).toBe('/v1/chat/completions');
    expect(harness.summaries.at(-1)).toMatchObject({ endpoint: 'responses', status: 200 });
  });

  it('streamText calls a tool and gets its result', async () => {
    harness.upstream.enqueue('/v1/chat/completions', openaiStream({ toolCalls: [{ id: 'call_w', name: 'get_weather', argumentChunks: ['{"city":', '"Paris"}'] }] }));
    const cities: string[] = [];
    const result = streamText({
      model: provider()('oai/gpt-test'),
      prompt: 'Weather in Paris?',
      maxRetries: 0,
      stopWhen: stepCountIs(1),
      tools: {
        get_weather: tool({
          description: 'Current weather',
          inputSchema: z.object({ city: z.string() }),
          execute: async ({ city }) => {
            cities.push(city);
            return `18C in ${city}`;
          },
        }),
      },
    });
    const toolResults = await result.toolResults;
    expect(cities).toEqual(['Paris']);
    expect(toolResults).toEqual([expect.objectContaining({ toolName: 'get_weather', toolCallId: 'call_w', output: '18C in Paris' })]);
    expect(await result.finishReason).toBe('tool-calls');
  });
});

describe('@openai/agents with its default model', () => {
  it('runs an agent through /v1/responses, answered by the Anthropic mock', async () => {
    setTracingDisabled(true);
    const runner = new Runner({ modelProvider: new OpenAIProvider({ baseURL: `${harness.gateway.url}/v1`, apiKey: TEST_MASTER_KEY, useResponses: true }) });
    harness.upstream.enqueue('/v1/messages', anthropicStream({ text: ['Bonjour', '!'] }));
    const agent = new Agent({ name: 'Greeter', instructions: 'Greet in French.' });
    const result = await runner.run(agent, 'Greet me', { stream: true });
    await result.completed;
    expect(result.finalOutput).toBe('Bonjour!');
    expect(harness.upstream.requests[0]?.path).toBe('/v1/messages');
    expect(harness.upstream.requests[0]?.body).toMatchObject({ system: [{ type: 'text', text: 'Greet in French.' }] });
  });
});
