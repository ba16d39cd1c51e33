import { describe, expect, it } from 'vitest';
import { scanUsageText } from './scan-usage.js';

describe('scanUsageText', () => {
  it('finds the top-level usage of a completion, pretty-printed or not', () => {
    const usage = { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 0 } };
    const completion = { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' } }], usage };
    expect(JSON.parse(scanUsageText(JSON.stringify(completion)) ?? 'null')).toEqual(usage);
    expect(JSON.parse(scanUsageText(JSON.stringify(completion, null, 2)) ?? 'null')).toEqual(usage);
  });

  it('is not fooled by "usage" inside the content, before or after the real one', () => {
    const tricky = { choices: [{ message: { content: 'say "usage": {"prompt_tokens": 999} }' } }], usage: { prompt_tokens: 1, total_tokens: 1 }, note: '"usage": {}' };
    expect(JSON.parse(scanUsageText(JSON.stringify(tricky)) ?? 'null')).toEqual({ prompt_tokens: 1, total_tokens: 1 });
  });

  it('says null when there is no usage, and undefined when the body is not a JSON object', () => {
    expect(scanUsageText('{"choices": []}')).toBeNull();
    expect(scanUsageText('{"choices": [], "usage": null}')).toBeNull();
    expect(scanUsageText('<html>bad gateway</html>')).toBeUndefined();
    expect(scanUsageText('{"choices": [], "usage": {"prompt_tokens": 1')).toBeUndefined();
    expect(scanUsageText('{"hello": "world"}')).toBeUndefined();
  });

  it('agrees with a full parse for every usage a random completion carries (property)', () => {
    for (let run = 0; run < 200; run += 1) {
      const usage = { prompt_tokens: run, completion_tokens: run * 2, total_tokens: run * 3, completion_tokens_details: { reasoning_tokens: run % 7 } };
      const content = `text ${'"{}\\'.repeat(run % 5)} usage ${run}`;
      const body = JSON.stringify({ id: `c${run}`, choices: [{ message: { content, tool_calls: run % 2 === 0 ? [{ function: { arguments: JSON.stringify({ usage: run }) } }] : undefined } }], usage });
      expect(JSON.parse(scanUsageText(body) ?? 'null')).toEqual(JSON.parse(body).usage);
    }
  });
});
