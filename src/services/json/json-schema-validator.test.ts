import { describe, expect, it } from 'vitest';
import { fitsStrictMode } from './fits-strict-mode.js';
import { compileJsonSchema, formatIssues, schemaProblem } from './json-schema-validator.js';

const invoiceSchema = {
  type: 'object',
  required: ['vendor', 'total', 'due'],
  additionalProperties: false,
  properties: {
    vendor: { type: 'string' },
    total: { type: 'number', minimum: 0 },
    due: { type: 'string', format: 'date' },
    lines: { type: 'array', items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
  },
};

describe('compileJsonSchema', () => {
  it('accepts a matching value and reports every issue of a wrong one with its JSON pointer', () => {
    const validator = compileJsonSchema(invoiceSchema);
    expect(validator.expects).toBe('object');
    expect(validator.check({ vendor: 'ACME', total: 12, due: '2026-12-31' })).toEqual({ ok: true });
    const check = validator.check({ total: '12', due: '2026-13-45', lines: [{}], extra: 1 });
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.issues).toEqual(expect.arrayContaining([
      { path: '/vendor', message: 'is required' },
      { path: '/extra', message: 'is not allowed by the schema' },
      { path: '/total', message: 'must be number' },
      { path: '/due', message: 'must match format "date"' },
      { path: '/lines/0/sku', message: 'is required' },
    ]));
    expect(formatIssues(check.issues)).toContain('- /total: must be number');
  });

  it('supports what zod\'s converter does not: if/then, dependentRequired, unevaluatedProperties', () => {
    const validator = compileJsonSchema({
      type: 'object',
      if: { properties: { kind: { const: 'refund' } } },
      then: { required: ['reason'] },
      dependentRequired: { iban: ['bic'] },
      unevaluatedProperties: false,
      properties: { kind: {}, reason: {}, iban: {}, bic: {} },
    });
    const check = validator.check({ kind: 'refund', iban: 'DE00' });
    expect(check.ok ? [] : check.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(['/reason', '']));
  });

  it('names the problem of a schema that does not compile', () => {
    expect(schemaProblem({ type: 'objekt' })).toMatch(/type/);
    expect(schemaProblem(invoiceSchema)).toBeNull();
  });
});

describe('fitsStrictMode', () => {
  it('needs every property required and additionalProperties false, all the way down', () => {
    const strict = { type: 'object', additionalProperties: false, required: ['a', 'b'], properties: {
      a: { type: 'string' },
      b: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['c'], properties: { c: { type: ['number', 'null'] } } } },
    } };
    expect(fitsStrictMode(strict)).toBe(true);
    expect(fitsStrictMode(invoiceSchema)).toBe(false);
    expect(fitsStrictMode({ ...strict, required: ['a'] })).toBe(false);
    expect(fitsStrictMode({ type: 'object', properties: {} })).toBe(false);
    expect(fitsStrictMode({ ...strict, allOf: [] })).toBe(false);
  });
});
