import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createEventLog } from './event-log.js';

function capture(): { lines: Array<Record<string, unknown>>; logger: pino.Logger } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('the event log', () => {
  it('logs a budget threshold with its request id, and circuit changes (an opening as a warning)', () => {
    const { lines, logger } = capture();
    const log = createEventLog(logger);
    log({ type: 'budget-warning', requestId: 'req-7', scope: 'key', subject: 'key:k1', threshold: 0.8, spentUsd: 8, budgetUsd: 10, period: '2026-12' });
    log({ type: 'circuit-state', change: { provider: 'p', model: 'm', from: 'closed', to: 'open', at: 0 } });
    log({ type: 'circuit-state', change: { provider: 'p', model: 'm', from: 'half_open', to: 'closed', at: 0 } });
    expect(lines.map(({ level, event, requestId, msg }) => ({ level, event, requestId, msg }))).toEqual([
      { level: 40, event: 'budget-warning', requestId: 'req-7', msg: 'budget 80 % reached' },
      { level: 40, event: 'circuit-state', requestId: undefined, msg: 'circuit opened for p/m' },
      { level: 30, event: 'circuit-state', requestId: undefined, msg: 'circuit closed for p/m' },
    ]);
  });
});
