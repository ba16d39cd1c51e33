import { describe, expect, it } from 'vitest';
import { TablePriceSource } from './table-price-source.js';

describe('TablePriceSource', () => {
  const source = new TablePriceSource({
    overrides: new Map([['custom', { inputPerMtok: 1, outputPerMtok: 2 }]]),
    providerTypes: new Map([['oa', 'openai'], ['local', 'mock']]),
    targets: new Map([
      ['mixed', [{ provider: 'oa', model: 'gpt-4o-mini' }, { provider: 'oa', model: 'gpt-4o' }]],
      ['free', [{ provider: 'local', model: 'echo' }]],
    ]),
  });

  it('reserves at the dearest reachable target and settles at the one that answered', () => {
    const worst = source.priceFor('mixed', null, null);
    const mini = source.priceFor('mixed', 'oa', 'gpt-4o-mini');
    const full = source.priceFor('mixed', 'oa', 'gpt-4o');
    expect(mini).not.toBeNull();
    expect(full).not.toBeNull();
    expect(worst?.outputPerMtok).toBe(Math.max(mini?.outputPerMtok ?? 0, full?.outputPerMtok ?? 0));
    expect(worst?.inputPerMtok).toBe(Math.max(mini?.inputPerMtok ?? 0, full?.inputPerMtok ?? 0));
    expect(mini?.outputPerMtok).toBeLessThan(full?.outputPerMtok ?? 0);
  });

  it('a config override wins; the mock is free; a provider/model name prices that model', () => {
    expect(source.priceFor('custom', 'oa', 'gpt-4o')).toEqual({ inputPerMtok: 1, outputPerMtok: 2 });
    expect(source.priceFor('free', null, null)).toBeNull();
    expect(source.priceFor('oa/gpt-4o', null, null)).toEqual(source.priceFor('x', 'oa', 'gpt-4o'));
  });
});
