import { describe, expect, it } from 'vitest';
import { assignVariant, bucketOf, hashUnit, pickByWeight, unitValueOf } from './assign-variant.js';
import type { AssignableExperiment } from './assign-variant.js';
import { decodeExposure, encodeExposure, exposurePrefix } from './exposure.js';

const experiment: AssignableExperiment = {
  id: 'exp_1',
  phase: 1,
  salt: 's4lt',
  unit: 'user',
  variants: [{ name: 'control', weight: 50 }, { name: 'b', weight: 30 }, { name: 'c', weight: 20 }],
};
const noRandom = (): number => {
  throw new Error('a request with a unit must not draw');
};

describe('assignment', () => {
  it('100,000 synthetic units land within ±1 % of the weights', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 100_000; i += 1) {
      const { variant } = assignVariant(experiment, `user-${i}`, null, noRandom);
      counts.set(variant.name, (counts.get(variant.name) ?? 0) + 1);
    }
    expect(Math.abs((counts.get('control') ?? 0) / 100_000 - 0.5)).toBeLessThan(0.01);
    expect(Math.abs((counts.get('b') ?? 0) / 100_000 - 0.3)).toBeLessThan(0.01);
    expect(Math.abs((counts.get('c') ?? 0) / 100_000 - 0.2)).toBeLessThan(0.01);
  });

  it('the same unit gets the same variant every time, from the hash alone', () => {
    for (let i = 0; i < 1000; i += 1) {
      const first = assignVariant(experiment, `sticky-${i}`, null, noRandom);
      const again = assignVariant({ ...experiment, variants: experiment.variants.map((variant) => ({ ...variant })) }, `sticky-${i}`, null, noRandom);
      expect(again.variant.name).toBe(first.variant.name);
      expect(first.mode).toBe('hashed');
    }
  });

  it('a new phase reshuffles about half the units at 50/50', () => {
    const fifty: AssignableExperiment = { ...experiment, variants: [{ name: 'control', weight: 1 }, { name: 'b', weight: 1 }] };
    let moved = 0;
    for (let i = 0; i < 100_000; i += 1) {
      const before = assignVariant(fifty, `unit-${i}`, null, noRandom).variant.name;
      const after = assignVariant({ ...fifty, phase: 2 }, `unit-${i}`, null, noRandom).variant.name;
      if (before !== after) moved += 1;
    }
    expect(Math.abs(moved / 100_000 - 0.5)).toBeLessThan(0.01);
  });

  it('another salt shuffles the same units independently', () => {
    let same = 0;
    for (let i = 0; i < 20_000; i += 1) {
      if (bucketOf('exp_1', 1, 'a', `u${i}`) < 0.5 === bucketOf('exp_1', 1, 'b', `u${i}`) < 0.5) same += 1;
    }
    expect(Math.abs(same / 20_000 - 0.5)).toBeLessThan(0.02);
  });

  it('a request without its unit falls back to the injected random draw, marked random', () => {
    const draws = [0.1, 0.6, 0.95];
    const random = (): number => draws.shift() ?? Number.NaN;
    expect(assignVariant(experiment, null, null, random)).toEqual({ variant: experiment.variants[0], mode: 'random', unitHash: null });
    expect(assignVariant(experiment, null, null, random).variant.name).toBe('b');
    expect(assignVariant(experiment, null, null, random).variant.name).toBe('c');
  });

  it('a pin picks the named variant and is marked forced; an unknown pin is ignored', () => {
    expect(assignVariant(experiment, 'user-1', 'c', noRandom)).toMatchObject({ variant: { name: 'c' }, mode: 'forced', unitHash: hashUnit('user-1') });
    expect(assignVariant(experiment, 'user-1', 'nope', noRandom).mode).toBe('hashed');
  });

  it('a zero-weight variant is served only when pinned', () => {
    const gated: AssignableExperiment = { ...experiment, variants: [{ name: 'control', weight: 1 }, { name: 'shadow', weight: 0 }] };
    for (let i = 0; i < 2000; i += 1) expect(assignVariant(gated, `u${i}`, null, noRandom).variant.name).toBe('control');
    expect(pickByWeight(gated.variants, 0.9999999999)).toMatchObject({ name: 'control' });
    expect(assignVariant(gated, 'u1', 'shadow', noRandom).variant.name).toBe('shadow');
  });

  it('resolves the unit from the user, the session or the key, and never for per-request experiments', () => {
    const sources = { endUser: 'alice', session: 'sess-9', keyId: 'key_1', principalLabel: 'ci' };
    expect(unitValueOf('user', sources)).toBe('alice');
    expect(unitValueOf('session', sources)).toBe('sess-9');
    expect(unitValueOf('key', sources)).toBe('key_1');
    expect(unitValueOf('key', { ...sources, keyId: null })).toBe('ci');
    expect(unitValueOf('request', sources)).toBeNull();
    expect(unitValueOf('user', { ...sources, endUser: '' })).toBeNull();
  });
});

describe('exposure encoding', () => {
  it('round-trips through the experiment_variant column and never holds the raw unit', () => {
    const exposure = { experiment: 'hero_copy', phase: 3, variant: 'b', unitHash: hashUnit('alice@example.com'), mode: 'forced' as const };
    const encoded = encodeExposure(exposure);
    expect(encoded.startsWith(exposurePrefix('hero_copy', 3))).toBe(true);
    expect(encoded).not.toContain('alice');
    expect(decodeExposure(encoded)).toEqual(exposure);
    expect(decodeExposure(encodeExposure({ ...exposure, unitHash: null, mode: 'random' }))).toMatchObject({ unitHash: null, mode: 'random' });
    expect(decodeExposure('plain-variant')).toBeNull();
  });
});
