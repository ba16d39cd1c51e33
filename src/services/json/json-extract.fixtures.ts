import type { ExtractOptions, ExtractResult, JsonFix } from './extract-json.js';

/**
 * The golden corpus: model answers shaped like real ones (fences, prose, reasoning blocks,
 * citations, truncation, Python-isms, comments, JSON Lines, refusals), each with the value or
 * failure extraction must give and the fixes it must report.
 */
export interface ExtractCase {
  name: string;
  text: string;
  options?: ExtractOptions;
  expected:
    | { value: unknown; fixes: JsonFix[]; truncated?: boolean }
    | { failure: Extract<ExtractResult, { ok: false }>['reason']; fixes?: JsonFix[] };
}

const invoice = { vendor: 'ACME GmbH', total: 1234.5, currency: 'EUR' };
const invoiceText = JSON.stringify(invoice, null, 2);

export const EXTRACT_CASES: ExtractCase[] = [
  // Valid JSON: untouched.
  { name: 'plain object', text: '{"a":1}', expected: { value: { a: 1 }, fixes: [] } },
  { name: 'pretty-printed object with surrounding whitespace', text: `\n\n${invoiceText}\n`, expected: { value: invoice, fixes: [] } },
  { name: 'plain array', text: '[{"id":1},{"id":2}]', expected: { value: [{ id: 1 }, { id: 2 }], fixes: [] } },

  // Fences.
  { name: 'json fence', text: `\`\`\`json\n${invoiceText}\n\`\`\``, expected: { value: invoice, fixes: ['strip_fence'] } },
  { name: 'bare fence', text: '```\n{"ok": true}\n```', expected: { value: { ok: true }, fixes: ['strip_fence'] } },
  {
    name: 'fence with prose before and after',
    text: `Here is the extracted invoice:\n\n\`\`\`json\n${invoiceText}\n\`\`\`\n\nLet me know if you need anything else!`,
    expected: { value: invoice, fixes: ['strip_fence'] },
  },
  { name: 'unterminated fence, complete JSON', text: '```json\n{"a": [1, 2, 3]}\n', expected: { value: { a: [1, 2, 3] }, fixes: ['strip_fence'] } },
  {
    name: 'unterminated fence cut off mid-value',
    text: '```json\n{"vendor": "ACME", "lines": [{"sku": "A1", "qty": 2}, {"sku": "B',
    expected: { value: { vendor: 'ACME', lines: [{ sku: 'A1', qty: 2 }, { sku: 'B' }] }, fixes: ['strip_fence', 'repair_truncated'], truncated: true },
  },
  {
    name: 'python fence first, json fence second: the json one wins',
    text: 'Code:\n```python\nprint({"x": 1})\n```\nResult:\n```json\n{"x": 2}\n```',
    expected: { value: { x: 2 }, fixes: ['strip_fence'] },
  },
  { name: 'fence tagged JSON in capitals with spaces', text: '``` JSON\n{"a": "b"}\n```', expected: { value: { a: 'b' }, fixes: ['strip_fence'] } },

  // Prose around JSON.
  { name: 'prose before', text: 'Sure! Here is the JSON you asked for: {"name": "Ada", "age": 36}', expected: { value: { name: 'Ada', age: 36 }, fixes: ['strip_prose'] } },
  { name: 'prose after', text: '{"name": "Ada"}\n\nI hope this helps.', expected: { value: { name: 'Ada' }, fixes: ['strip_prose'] } },
  { name: 'array in prose', text: 'The tags are ["red", "green"] as requested.', expected: { value: ['red', 'green'], fixes: ['strip_prose'] } },
  {
    name: 'brackets and quotes inside strings do not end the span',
    text: 'Result: {"note": "use {braces} and [brackets] and \\"quotes\\"", "n": 1} done',
    expected: { value: { note: 'use {braces} and [brackets] and "quotes"', n: 1 }, fixes: ['strip_prose'] },
  },
  { name: 'apostrophes in prose before the JSON', text: "Here's what I found, it's below: {\"found\": true}", expected: { value: { found: true }, fixes: ['strip_prose'] } },
  { name: 'an unclosed bracket in prose does not hide the JSON', text: 'Note [see below: {"a": 1}', options: { expect: 'object' }, expected: { value: { a: 1 }, fixes: ['strip_prose'] } },

  // Reasoning blocks.
  { name: '<think> block then JSON', text: '<think>The user wants a JSON object with a. {"draft": 0}</think>\n{"a": 1}', expected: { value: { a: 1 }, fixes: ['strip_think'] } },
  { name: '<thinking> block then fenced JSON', text: '<thinking>\nLet me think.\n</thinking>\n```json\n{"a": 1}\n```', expected: { value: { a: 1 }, fixes: ['strip_think', 'strip_fence'] } },
  { name: '<reasoning> block in capitals', text: '<REASONING>count the items</REASONING>[1, 2]', expected: { value: [1, 2], fixes: ['strip_think'] } },
  { name: 'orphan </think> (the template opened it)', text: 'The schema needs a total {"total": 0}.\n</think>\n\n{"total": 42}', expected: { value: { total: 42 }, fixes: ['strip_think'] } },
  { name: 'unclosed <think>: still thinking, no answer', text: '<think>Okay, the invoice total is {"total": 4', expected: { failure: 'empty', fixes: ['strip_think'] } },

  // Citations.
  { name: 'trailing citations after the object', text: '{"capital": "Paris"} [1][2]', expected: { value: { capital: 'Paris' }, fixes: ['strip_citations'] } },
  { name: 'citation list with prose', text: 'Answer: {"capital": "Paris"} [1, 2] Sources: see above.', expected: { value: { capital: 'Paris' }, fixes: ['strip_prose', 'strip_citations'] } },
  { name: 'citations inside strings are kept by default', text: '{"summary": "Paris is the capital [1]."} [1]', expected: { value: { summary: 'Paris is the capital [1].' }, fixes: ['strip_citations'] } },
  {
    name: 'citations inside strings removed with citations: all',
    text: '{"summary": "Paris is the capital [1]. It is large [2, 3]."}',
    options: { citations: 'all' },
    expected: { value: { summary: 'Paris is the capital. It is large.' }, fixes: ['strip_inner_citations'] },
  },
  { name: 'a lone [1, 2, 3] is data, not a citation', text: '[1, 2, 3]', expected: { value: [1, 2, 3], fixes: [] } },
  { name: 'a citation-looking array is kept when it is all there is', text: 'The ids are [4] only.', expected: { value: [4], fixes: ['strip_prose'] } },

  // Syntax the repair mends.
  { name: 'single quotes', text: "{'name': 'Ada', 'tags': ['x']}", expected: { value: { name: 'Ada', tags: ['x'] }, fixes: ['repair'] } },
  { name: 'smart quotes', text: '{“name”: “Ada”}', expected: { value: { name: 'Ada' }, fixes: ['repair'] } },
  { name: 'Python literals', text: "{'ok': True, 'error': None, 'retry': False}", expected: { value: { ok: true, error: null, retry: false }, fixes: ['repair'] } },
  { name: 'NaN and Infinity', text: '{"score": NaN, "max": Infinity, "min": -Infinity, "label": "NaN"}', expected: { value: { score: null, max: null, min: null, label: 'NaN' }, fixes: ['replace_non_finite'] } },
  { name: 'line and block comments', text: '{\n  // the vendor\n  "vendor": "ACME", /* in EUR */ "total": 12\n}', expected: { value: { vendor: 'ACME', total: 12 }, fixes: ['repair'] } },
  { name: "a comment with an apostrophe and a brace", text: '{\n  "a": 1 // don\'t close } here\n}', expected: { value: { a: 1 }, fixes: ['repair'] } },
  { name: 'missing commas', text: '{"a": 1\n"b": 2\n"c": [1 2]}', expected: { value: { a: 1, b: 2, c: [1, 2] }, fixes: ['repair'] } },
  { name: 'trailing commas', text: '{"a": [1, 2,], "b": 3,}', expected: { value: { a: [1, 2], b: 3 }, fixes: ['repair'] } },
  { name: 'unquoted keys', text: '{name: "Ada", age: 36}', expected: { value: { name: 'Ada', age: 36 }, fixes: ['repair'] } },
  { name: 'unescaped newline inside a string', text: '{"address": "1 Main St\nSpringfield"}', expected: { value: { address: '1 Main St\nSpringfield' }, fixes: ['repair'] } },
  { name: 'ellipsis in an array', text: '{"items": [1, 2, ...]}', expected: { value: { items: [1, 2] }, fixes: ['repair'] } },

  // Truncation: repaired, but always reported.
  { name: 'cut off inside a string', text: '{"vendor": "ACME", "note": "Paid in fu', expected: { value: { vendor: 'ACME', note: 'Paid in fu' }, fixes: ['repair_truncated'], truncated: true } },
  { name: 'cut off inside a key (the repair invents a null)', text: '{"vendor": "ACME", "na', expected: { value: { vendor: 'ACME', na: null }, fixes: ['repair_truncated'], truncated: true } },
  { name: 'cut off inside an array', text: 'Here: [{"id": 1}, {"id": 2}, {"id"', expected: { value: [{ id: 1 }, { id: 2 }, { id: null }], fixes: ['strip_prose', 'repair_truncated'], truncated: true } },

  // Several values.
  { name: 'NDJSON as an array when an array is expected', text: '{"id": 1}\n{"id": 2}\n{"id": 3}', options: { expect: 'array' }, expected: { value: [{ id: 1 }, { id: 2 }, { id: 3 }], fixes: ['merge_ndjson'] } },
  { name: 'NDJSON when an object is expected: the first', text: '{"id": 1}\n{"id": 2}', options: { expect: 'object' }, expected: { value: { id: 1 }, fixes: ['choose_candidate'] } },
  { name: 'two objects in prose: the longest', text: 'First try: {"a": 1}. Corrected: {"a": 1, "b": 2}', expected: { value: { a: 1, b: 2 }, fixes: ['choose_candidate', 'strip_prose'] } },
  { name: 'the expected type wins over the longest', text: 'tags ["alpha", "beta", "gamma"] and {"ok": 1}', options: { expect: 'object' }, expected: { value: { ok: 1 }, fixes: ['choose_candidate', 'strip_prose'] } },

  // Failures.
  { name: 'a refusal', text: "I'm sorry, but I can't help with that request.", expected: { failure: 'no_json' } },
  { name: 'an empty answer', text: '   ', expected: { failure: 'empty' } },
  // The repair quotes bare words, so a bracketed aside becomes an array; the schema check refuses it.
  { name: 'prose with a bracketed aside only', text: 'I cannot comply [policy].', expected: { value: ['policy'], fixes: ['strip_prose', 'repair'] } },
  { name: 'JSON the repair cannot mend', text: 'Result: {"a": 1, :}', expected: { failure: 'unrepairable' } },
  { name: 'an empty fence', text: '```json\n```', expected: { failure: 'empty', fixes: ['strip_fence'] } },
];
