import { describe, expect, it } from 'vitest';
import { openaiChunkSchema } from './openai-api.js';
import { isOpenAIChunk } from './check-openai-chunk.js';

const base = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm' };
const cases: unknown[] = [
  { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
  { ...base, choices: [{ index: 0, delta: { content: 'hi' } }] },
  { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'eos_token' }] },
  { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'f', arguments: '' } }] } }] },
  { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] }, finish_reason: null }] },
  { ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 1 } } },
  { ...base, choices: [], usage: { prompt_tokens: 3, total_tokens: 3 } },
  { ...base, choices: [], usage: null },
  { ...base, choices: [{ index: 0, delta: { content: 7 } }] },
  { ...base, choices: [{ index: 0, delta: { role: 'user' } }] },
  { ...base, choices: [{ index: 0 }] },
  { ...base, choices: [{ index: 0, delta: { tool_calls: [{ id: 'x' }] } }] },
  { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, type: 'custom' }] } }] },
  { ...base, choices: [], usage: { prompt_tokens: '3', total_tokens: 3 } },
  { ...base, choices: [], usage: { prompt_tokens: 3, total_tokens: 3, completion_tokens_details: { reasoning_tokens: 'x' } } },
  { ...base, object: 'chat.completion', choices: [] },
  { id: 'c', choices: [] },
  null,
  'data',
];

describe('the hand-written OpenAI chunk check', () => {
  it.each(cases.map((value, index) => [index, value]))('case %i: accepts and normalises exactly what the chunk schema does', (_index, value) => {
    const expected = openaiChunkSchema.safeParse(structuredClone(value));
    const copy = structuredClone(value);
    expect(isOpenAIChunk(copy)).toBe(expected.success);
    if (expected.success) expect(copy).toEqual(expected.data);
  });
});
