import { describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from '../core/index.js';
import { StreamResultAccumulator, fromCompletion } from './cached-result.js';
import { REPLAY_PIECE_CHARS, toChunks, toCompletion } from './replay.js';

const identity = { id: 'chatcmpl-x', created: 1 };
const base = { id: 'chatcmpl-up', object: 'chat.completion.chunk' as const, created: 99, model: 'gpt-x' };
const chunk = (delta: object, finishReason: ChatCompletionChunk['choices'][number]['finish_reason'] = null): ChatCompletionChunk => ({
  ...base, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
});
const upstream: ChatCompletionChunk[] = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ reasoning_content: 'Think' }),
  chunk({ reasoning_content: 'ing.' }),
  chunk({ content: 'Hel' }),
  chunk({ content: 'lo' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }),
  chunk({}, 'tool_calls'),
  { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } },
];

/** A chunk without what a replay changes on purpose (id, created) and without null fields. */
function normalise(item: ChatCompletionChunk): unknown {
  return JSON.parse(JSON.stringify({ ...item, id: undefined, created: undefined }, (_key, value: unknown) => (value === null ? undefined : value)));
}

describe('replaying a stored result', () => {
  it('a streamed answer replays event for event, reasoning and tool calls kept', () => {
    const accumulator = new StreamResultAccumulator();
    for (const item of upstream) accumulator.push(item);
    const stored = JSON.parse(JSON.stringify(accumulator.result('openai', 'gpt-x-2026')));
    const replayed = toChunks(stored, identity, true).map((item) => item.chunk);
    expect(replayed.map(normalise)).toEqual(upstream.map(normalise));
    expect(replayed.every((item) => item.id === 'chatcmpl-x' && item.created === 1)).toBe(true);
    expect(toChunks(stored, identity, false)).toHaveLength(upstream.length - 1);
  });

  it('the same stored stream answers a JSON caller with the whole message', () => {
    const accumulator = new StreamResultAccumulator();
    for (const item of upstream) accumulator.push(item);
    const completion = toCompletion(accumulator.result('openai', 'gpt-x-2026'), identity);
    expect(completion).toEqual({
      id: 'chatcmpl-x', object: 'chat.completion', created: 1, model: 'gpt-x',
      choices: [{
        index: 0, finish_reason: 'tool_calls', logprobs: null,
        message: {
          role: 'assistant', content: 'Hello', refusal: null, reasoning_content: 'Thinking.',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }],
        },
      }],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    });
  });

  it('a JSON answer replays as JSON unchanged, and as a stream in pieces of at most 64 characters', () => {
    const text = `${'a'.repeat(REPLAY_PIECE_CHARS - 1)}😀${'b'.repeat(10)}`;
    const completion: ChatCompletion = {
      id: 'chatcmpl-up', object: 'chat.completion', created: 99, model: 'gpt-x',
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    };
    const stored = fromCompletion(completion, 'openai', 'gpt-x');
    expect(toCompletion(stored, { id: 'chatcmpl-up', created: 99 })).toEqual(completion);
    const pieces = toChunks(stored, identity, true).map((item) => item.chunk.choices[0]?.delta.content).filter((piece) => piece !== undefined && piece !== '');
    // The emoji (a surrogate pair) is never split.
    expect(pieces).toEqual([`${'a'.repeat(REPLAY_PIECE_CHARS - 1)}😀`, 'b'.repeat(10)]);
    expect(pieces.join('')).toBe(text);
  });
});
