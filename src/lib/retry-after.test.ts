import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.js';

describe('parseRetryAfter', () => {
  it('prefers retry-after-ms, then seconds, then an HTTP date', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '1500', 'retry-after': '9' })).toBe(1500);
    expect(parseRetryAfter({ 'retry-after': '2' })).toBe(2000);
    const now = Date.parse('2026-11-22T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': 'Sun, 22 Nov 2026 00:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeNull();
    expect(parseRetryAfter({})).toBeNull();
  });
});
