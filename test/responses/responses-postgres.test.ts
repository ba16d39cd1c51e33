import { afterAll, beforeAll, expect, it } from 'vitest';
import { anthropicStream, geminiResponse, startMockUpstream } from '../mock-upstream/index.js';
import type { MockUpstream } from '../mock-upstream/index.js';
import { createDatabase, startPostgresServer } from '../support/postgres-server.js';
import type { PostgresServer } from '../support/postgres-server.js';
import { startResponsesHarness } from './responses-harness.js';
import type { ResponsesHarness } from './responses-harness.js';

let server: PostgresServer;
let upstream: MockUpstream;
let instanceA: ResponsesHarness;
let instanceB: ResponsesHarness;

beforeAll(async () => {
  server = await startPostgresServer();
  const databaseUrl = await createDatabase(server, 'responses_shared');
  upstream = await startMockUpstream();
  instanceA = await startResponsesHarness({ storage: { database_url: databaseUrl } }, upstream);
  instanceB = await startResponsesHarness({ storage: { database_url: databaseUrl } }, upstream);
}, 60_000);

afterAll(async () => {
  await instanceA?.close();
  await instanceB?.close();
  await upstream?.close();
  server?.destroy();
});

const weatherTool = { type: 'function' as const, name: 'get_weather', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } } } };

it('turn 1 on instance A, turn 2 on instance B the moment A\'s stream ends: B rebuilds the context from Postgres', async () => {
  upstream.enqueue('/v1/messages', anthropicStream({ text: [], toolUses: [{ id: 'toolu_1', name: 'get_weather', inputChunks: ['{"city":"Oslo"}'] }] }));
  const first = await instanceA.openai.responses.stream({ model: 'claude/claude-test', input: 'Weather in Oslo?', tools: [weatherTool] }).finalResponse();
  const call = first.output.find((item) => item.type === 'function_call');
  if (call?.type !== 'function_call') throw new Error('expected a function call');

  upstream.enqueue('/v1beta/models/gemini-test:generateContent', geminiResponse({ text: 'Oslo: 4C.' }));
  const second = await instanceB.openai.responses.create({
    model: 'google/gemini-test', previous_response_id: first.id,
    input: [{ type: 'function_call_output', call_id: call.call_id, output: '4C' }],
  });
  expect(second.output_text).toBe('Oslo: 4C.');
  const contents = (upstream.requests[1]?.body as { contents: Array<{ role: string; parts: Array<Record<string, unknown>> }> }).contents;
  expect(contents.map((content) => content.role)).toEqual(['user', 'model', 'user']);
  expect(contents[1]?.parts[0]).toMatchObject({ functionCall: { name: 'get_weather', args: { city: 'Oslo' } } });
  expect(contents[2]?.parts[0]).toMatchObject({ functionResponse: { name: 'get_weather' } });
  // Either instance serves the stored objects.
  expect(await instanceA.openai.responses.retrieve(second.id)).toEqual(second);
});
