import { describe, expect, it } from 'vitest';
import type { RequestSummary } from '../core/index.js';
import { AnonymousRefusalLimit } from './anonymous-refusal-limit.js';

function summary(errorCode: string | null): RequestSummary {
  return {
    requestId: 'req', startedAt: 0, endedAt: 1, durationMs: 1, timeToFirstTokenMs: null, endpoint: 'chat.completions', keyId: null,
    tenantId: null, endUser: null, requestedModel: null, provider: null, providerModel: null, attempts: [], stream: false,
    status: errorCode === null ? 200 : 401, errorCode, errorMessage: null, usage: null, metadata: null, overheadMs: 0, costUsd: 0,
    usageEstimated: false,
  };
}

describe('AnonymousRefusalLimit', () => {
  it('keeps a per-minute allowance of keyless refusals, counts the rest and reports them, and never drops other rows', () => {
    const reported: number[] = [];
    const limit = new AnonymousRefusalLimit(3, (count) => reported.push(count));
    const kept = Array.from({ length: 1000 }, (_, index) => limit.admit(summary(index % 2 === 0 ? 'missing_api_key' : 'invalid_api_key'), 1000));
    expect(kept.filter(Boolean)).toHaveLength(3);
    expect(limit.admit(summary(null), 1000)).toBe(true);
    expect(limit.admit(summary('rate_limit_exceeded'), 1000)).toBe(true);
    expect(limit.admit(summary('invalid_api_key'), 61_000)).toBe(true);
    expect(reported).toEqual([997]);
  });
});
