import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractJson } from './extract-json.js';
import { EXTRACT_CASES } from './json-extract.fixtures.js';

describe('extractJson: the golden corpus', () => {
  it('has at least 40 cases', () => {
    expect(EXTRACT_CASES.length).toBeGreaterThanOrEqual(40);
  });

  for (const example of EXTRACT_CASES) {
    it(example.name, () => {
      const result = extractJson(example.text, example.options);
      const expected = example.expected;
      if ('failure' in expected) {
        expect(result).toMatchObject({ ok: false, reason: expected.failure });
        if (expected.fixes !== undefined) expect(result.fixes).toEqual(expected.fixes);
        return;
      }
      expect(result).toEqual({ ok: true, value: expected.value, fixes: expected.fixes, truncated: expected.truncated ?? false });
    });
  }
});

describe('extractJson: properties', () => {
  it('passes any valid JSON through unchanged, with no fixes', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const text = JSON.stringify(value);
      const result = extractJson(text);
      expect(result).toEqual({ ok: true, value: JSON.parse(text), fixes: [], truncated: false });
    }), { numRuns: 500 });
  });

  it('takes any object or array out of a fence with the one fix strip_fence', () => {
    const structured = fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.array(fc.jsonValue()));
    fc.assert(fc.property(structured, fc.boolean(), (value, pretty) => {
      const text = JSON.stringify(value, null, pretty ? 2 : undefined);
      const result = extractJson(`\`\`\`json\n${text}\n\`\`\``);
      expect(result).toEqual({ ok: true, value: JSON.parse(text), fixes: ['strip_fence'], truncated: false });
    }), { numRuns: 300 });
  });

  it('finds any object in prose, whatever its strings hold', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.string()), (value) => {
      const text = JSON.stringify(value);
      const result = extractJson(`Here it is: ${text} Hope that helps.`);
      expect(result).toEqual({ ok: true, value: JSON.parse(text), fixes: ['strip_prose'], truncated: false });
    }), { numRuns: 300 });
  });
});
