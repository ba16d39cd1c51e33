import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../test/support/manual-clock.js';
import { DeadlineSweeper } from './deadline-sweeper.js';

describe('the deadline sweeper', () => {
  it('expires each pending deadline at its own time with a single timer', async () => {
    const clock = new ManualClock();
    const sweeper = new DeadlineSweeper(clock, 1000);
    const expired: string[] = [];
    sweeper.add(() => expired.push('first'));
    await clock.advance(400);
    sweeper.add(() => expired.push('second'));
    expect(clock.pending).toBe(1);
    await clock.advance(600);
    expect(expired).toEqual(['first']);
    await clock.advance(399);
    expect(expired).toEqual(['first']);
    await clock.advance(1);
    expect(expired).toEqual(['first', 'second']);
    expect(clock.pending).toBe(0);
  });

  it('never expires a removed entry and drops its timer once nothing is pending', async () => {
    const clock = new ManualClock();
    const sweeper = new DeadlineSweeper(clock, 1000);
    const expired: string[] = [];
    const first = sweeper.add(() => expired.push('first'));
    await clock.advance(100);
    const second = sweeper.add(() => expired.push('second'));
    sweeper.remove(first);
    await clock.advance(900);
    expect(expired).toEqual([]);
    sweeper.remove(second);
    expect(clock.pending).toBe(0);
    await clock.advance(5000);
    expect(expired).toEqual([]);
  });

  it('keeps watching deadlines added while it expires others', async () => {
    const clock = new ManualClock();
    const sweeper = new DeadlineSweeper(clock, 1000);
    const expired: string[] = [];
    sweeper.add(() => {
      expired.push('first');
      sweeper.add(() => expired.push('added on expiry'));
    });
    await clock.advance(1000);
    expect(expired).toEqual(['first']);
    expect(clock.pending).toBe(1);
    await clock.advance(1000);
    expect(expired).toEqual(['first', 'added on expiry']);
  });
});
