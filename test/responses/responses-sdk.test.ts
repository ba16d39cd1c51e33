import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  anthropicError, anthropicMessage, anthropicStream, geminiResponse, geminiStream, openaiCompletion, openaiStream,
} from '../mock-upstream/index.js';
import type { MockReply } from '../mock-upstream/index.js';
import { checkResponseStream, parseSseBody } from '../support/check-response-stream.js';
import { TEST_MASTER_KEY } from '../support/start-gateway.js';
import { startResponsesHarness } from './responses-harness.js';
import type { ResponsesHarness } from './responses-harness.js';

let harness: ResponsesHarness;
let openai: OpenAI;

beforeAll(async () => {
  harness = await startResponsesHarness();
  openai = harness.openai;
});
afterAll(async () => harness.close());
beforeEach(() => {
  harness.upstream.reset();
  harness.summaries.length = 0;
});

const weatherTool = {
  type: 'function' as const, name: 'get_weather', description: 'Current weather', strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

interface ProviderCase {
  name: string;
  model: string;
  /** Script "Hello from mock" as a stream or a JSON answer. */
  text: (stream: boolean) => void;
  /** Script one get_weather {"city":"Paris"} call. */
  tool: (stream: boolean) => void;
}

const gemini = (stream: boolean, reply: MockReply) =>
  harness.upstream.enqueue(`/v1beta/models/gemini-test:${stream ? 'streamGenerateContent' : 'generateContent'}`, reply);

const cases: ProviderCase[] = [
  {
    name: 'openai',
    model: 'oai/gpt-test',
    text: (stream) => harness.upstream.enqueue('/v1/chat/completions', stream ? openaiStream() : openaiCompletion()),
    tool: (stream) => harness.upstream.enqueue('/v1/chat/completions', stream
      ? openaiStream({ toolCalls: [{ id: 'call_a', name: 'get_weather', argumentChunks: ['{"city":', '"Paris"}'] }] })
      : openaiCompletion({ toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }] })),
  },
  {
    name: 'anthropic',
    model: 'claude/claude-test',
    text: (stream) => harness.upstream.enqueue('/v1/messages', stream ? anthropicStream({ ping: true }) : anthropicMessage()),
    tool: (stream) => harness.upstream.enqueue('/v1/messages', stream
      ? anthropicStream({ text: [], toolUses: [{ id: 'toolu_a', name: 'get_weather', inputChunks: ['{"city": "Pa', 'ris"}'] }] })
      : anthropicMessage({ text: null, toolUses: [{ id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } }] })),
  },
  {
    name: 'gemini',
    model: 'google/gemini-test',
    text: (stream) => gemini(stream, stream ? geminiStream() : geminiResponse()),
    tool: (stream) => gemini(stream, stream
      ? geminiStream({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }] })
      : geminiResponse({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }] })),
  },
];

/** The stream helper adds `output_parsed` and `parsed_arguments` (null without a parser) on the client side. */
function withoutParsedFields(response: object): object {
  return JSON.parse(JSON.stringify(response, (key, value: unknown) => (key === 'output_parsed' || key === 'parsed_arguments' ? undefined : value))) as object;
}

/** The raw SSE body of a streamed POST /v1/responses. */
async function rawStream(body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${harness.gateway.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return response.text();
}

describe.each(cases)('openai SDK responses.* → $name', (testCase) => {
  it('create answers with a stored Response that retrieve, inputItems.list and delete see', async () => {
    testCase.text(false);
    const response = await openai.responses.create({ model: testCase.model, instructions: 'Be brief.', input: 'Say hello' });
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: testCase.model, instructions: 'Be brief.' });
    expect(response.id).toMatch(/^resp_[0-9a-f]{24}$/);
    expect(response.output_text).toBe('Hello from mock');
    expect(response.usage?.total_tokens).toBe((response.usage?.input_tokens ?? -1) + (response.usage?.output_tokens ?? -1));

    const retrieved = await openai.responses.retrieve(response.id);
    expect(retrieved).toEqual(response);
    const items = await openai.responses.inputItems.list(response.id);
    expect(items.data).toEqual([expect.objectContaining({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello' }] })]);

    await openai.responses.delete(response.id);
    await expect(openai.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
  });

  it('stream() yields the grammar the SDK checks, and finalResponse() equals a later retrieve', async () => {
    testCase.tool(true);
    const stream = openai.responses.stream({ model: testCase.model, input: 'Weather in Paris?', tools: [weatherTool] });
    const deltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(JSON.parse(call?.type === 'function_call' ? call.arguments : '{}')).toEqual({ city: 'Paris' });
    expect(deltas.join('')).toBe(call?.type === 'function_call' ? call.arguments : null);
    // Retrieved the moment the stream ended: the response was stored before response.completed.
    const retrieved = await openai.responses.retrieve(final.id);
    expect(retrieved).toEqual(withoutParsedFields(final));
  });

  it('raw text and tool-call streams pass the grammar checker', async () => {
    testCase.text(true);
    const events = parseSseBody(await rawStream({ model: testCase.model, input: 'Say hello' }));
    expect(checkResponseStream(events)).toEqual([]);
    const completed = events[events.length - 1]?.data as { response: { output: Array<{ content: Array<{ text: string }> }> } };
    expect(completed.response.output[0]?.content[0]?.text).toBe('Hello from mock');
    testCase.tool(true);
    const toolEvents = parseSseBody(await rawStream({ model: testCase.model, input: 'Weather in Paris?', tools: [weatherTool] }));
    expect(checkResponseStream(toolEvents)).toEqual([]);
    expect(toolEvents.map((event) => event.event)).toContain('response.function_call_arguments.done');
  });
});

describe('POST /v1/responses', () => {
  it('closes every item when the upstream never sends a finish reason', async () => {
    const chunk = (delta: object) => ({
      data: { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-test', choices: [{ index: 0, delta, finish_reason: null }] },
    });
    harness.upstream.enqueue('/v1/chat/completions', {
      kind: 'sse', status: 200, events: [chunk({ role: 'assistant' }), chunk({ content: 'Hi' }), chunk({ content: ' there' })], done: true,
    });
    const events = parseSseBody(await rawStream({ model: 'oai/gpt-test', input: 'x' }));
    expect(checkResponseStream(events)).toEqual([]);
    expect(events.map((event) => event.event)).toContain('response.output_item.done');
    expect(events[events.length - 1]?.event).toBe('response.completed');
  });

  it('reports a length stop as incomplete and sends max_output_tokens upstream as max_completion_tokens', async () => {
    harness.upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: 'Once upon', finishReason: 'length' }));
    const response = await openai.responses.create({ model: 'oai/gpt-test', input: 'Tell a story', max_output_tokens: 16 });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(harness.upstream.requests[0]?.body).toMatchObject({ max_completion_tokens: 16 });
    expect(harness.upstream.requests[0]?.body).not.toHaveProperty('max_tokens');
  });

  it('translates text.format, reasoning.effort and the end user for the upstream', async () => {
    harness.upstream.enqueue('/v1/chat/completions', openaiCompletion({ content: '{"answer":42}' }));
    const response = await openai.responses.create({
      model: 'oai/gpt-test', input: 'Answer', reasoning: { effort: 'low' }, safety_identifier: 'user-42', metadata: { ticket: 'T-1' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { answer: { type: 'number' } } }, strict: true } },
    });
    expect(JSON.parse(response.output_text)).toEqual({ answer: 42 });
    expect(response.metadata).toEqual({ ticket: 'T-1' });
    expect(harness.upstream.requests[0]?.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true } }, reasoning_effort: 'low', user: 'user-42',
    });
    await harness.gateway.gateway.flushRequestLog();
    expect(harness.summaries[0]).toMatchObject({ endpoint: 'responses', endUser: 'user-42', metadata: { ticket: 'T-1' }, status: 200, provider: 'oai' });
    expect(harness.summaries[0]?.usage?.totalTokens).toBeGreaterThan(0);
  });

  it('refuses a built-in tool with 400 naming the parameter, before any upstream call', async () => {
    const error = await openai.responses.create({ model: 'oai/gpt-test', input: 'x', tools: [{ type: 'web_search' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', param: 'tools[0].type' });
    expect(harness.upstream.requests).toHaveLength(0);
  });

  it('does not keep a response sent with store: false', async () => {
    harness.upstream.enqueue('/v1/chat/completions', openaiCompletion());
    const response = await openai.responses.create({ model: 'oai/gpt-test', input: 'x', store: false });
    expect(response).toMatchObject({ store: false });
    await expect(openai.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
  });

  it('ends a stream that fails after content with response.failed', async () => {
    harness.upstream.enqueue('/v1/chat/completions', openaiStream({ content: ['Hel', 'lo', ' wor', 'ld'], resetAfter: 3 }));
    const events = parseSseBody(await rawStream({ model: 'oai/gpt-test', input: 'x' }));
    expect(checkResponseStream(events)).toEqual([]);
    expect(events[events.length - 1]?.data).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'provider_error' } } });
  });
});

describe('a chained turn', () => {
  it('continues an Anthropic tool call on Gemini, 0 ms after response.completed, with the call and its result paired', async () => {
    harness.upstream.enqueue('/v1/messages', anthropicStream({ text: ['Let me check.'], toolUses: [{ id: 'toolu_1', name: 'get_weather', inputChunks: ['{"city":"Paris"}'] }] }));
    const first = await openai.responses.stream({ model: 'chain', input: 'Weather in Paris?', tools: [weatherTool] }).finalResponse();
    const call = first.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('expected a function call');

    // Turn 2: Anthropic fails, so the fallback sends it to Gemini; nothing waits in between.
    harness.upstream.enqueue('/v1/messages', anthropicError(529, 'Overloaded', { type: 'overloaded_error' }));
    gemini(false, geminiResponse({ text: 'It is 18C in Paris.' }));
    const second = await openai.responses.create({
      model: 'chain', previous_response_id: first.id, tools: [weatherTool],
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '18C, sunny' }],
    });
    expect(second.output_text).toBe('It is 18C in Paris.');
    expect(second.previous_response_id).toBe(first.id);
    const geminiRequest = harness.upstream.requests.find((request) => request.path.includes('gemini-test'));
    const contents = (geminiRequest?.body as { contents: Array<{ role: string; parts: Array<Record<string, unknown>> }> }).contents;
    expect(contents.map((content) => content.role)).toEqual(['user', 'model', 'user']);
    expect(contents[0]?.parts).toEqual([{ text: 'Weather in Paris?' }]);
    expect(contents[1]?.parts).toEqual([{ text: 'Let me check.' }, expect.objectContaining({ functionCall: expect.objectContaining({ name: 'get_weather', args: { city: 'Paris' } }) })]);
    expect(contents[2]?.parts).toEqual([expect.objectContaining({ functionResponse: expect.objectContaining({ name: 'get_weather' }) })]);

    const items = await openai.responses.inputItems.list(second.id, { order: 'asc' });
    expect(items.data.map((item) => item.type)).toEqual(['message', 'message', 'function_call', 'function_call_output']);
  });

  it('refuses another tenant\'s previous_response_id with 404', async () => {
    const createKey = async (tenant: string) => {
      const response = await fetch(`${harness.gateway.url}/admin/api/keys`, {
        method: 'POST', headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `key-${tenant}`, tenant }),
      });
      return ((await response.json()) as { key: string }).key;
    };
    const acme = new OpenAI({ baseURL: `${harness.gateway.url}/v1`, apiKey: await createKey('acme'), maxRetries: 0 });
    const acmeTwo = new OpenAI({ baseURL: `${harness.gateway.url}/v1`, apiKey: await createKey('acme'), maxRetries: 0 });
    const globex = new OpenAI({ baseURL: `${harness.gateway.url}/v1`, apiKey: await createKey('globex'), maxRetries: 0 });
    harness.upstream.enqueue('/v1/chat/completions', openaiCompletion(), openaiCompletion());
    const response = await acme.responses.create({ model: 'oai/gpt-test', input: 'x' });
    await expect(globex.responses.retrieve(response.id)).rejects.toMatchObject({ status: 404 });
    await expect(globex.responses.create({ model: 'oai/gpt-test', input: 'y', previous_response_id: response.id }))
      .rejects.toMatchObject({ status: 404, param: 'previous_response_id' });
    await expect(globex.responses.delete(response.id)).rejects.toMatchObject({ status: 404 });
    // Another key of the same tenant may continue it.
    const next = await acmeTwo.responses.create({ model: 'oai/gpt-test', input: 'y', previous_response_id: response.id });
    expect(next.previous_response_id).toBe(response.id);
  });
});
