import { describe, expect, it } from 'vitest';
import type { Usage } from '../core/index.js';
import { PRICE_TABLE, costInNanoUsd, costOf, createPriceBook, createPricing, estimateChatUsage, findModelPrice } from './index.js';
import type { ModelPrice } from './index.js';

function tableCost(type: string, model: string, used: Usage): number | null {
  const price = findModelPrice(type, model);
  return price === null ? null : costOf(price, used);
}

function usage(prompt: number, completion: number, extra: Partial<Usage> = {}): Usage {
  return {
    promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion,
    cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...extra,
  };
}

describe('price table', () => {
  it('covers the current major models of each vendor', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-5', 'o4-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'gemini-2.5-pro', 'gemini-2.5-flash']) {
      expect(findModelPrice('', model), model).not.toBeNull();
    }
    expect(new Set(PRICE_TABLE.map((entry) => entry.vendor))).toEqual(new Set(['openai', 'anthropic', 'gemini', 'groq', 'mistral', 'deepseek', 'together', 'perplexity', 'xai']));
  });

  it('matches dated snapshots to the longest base id, and strips routing prefixes', () => {
    expect(findModelPrice('openai', 'gpt-4o-mini-2024-07-18')?.inputPerMtok).toBe(0.15);
    expect(findModelPrice('openai', 'gpt-4o-2024-08-06')?.inputPerMtok).toBe(2.5);
    expect(findModelPrice('anthropic', 'claude-sonnet-4-5-20250929')?.outputPerMtok).toBe(15);
    expect(findModelPrice('anthropic', 'claude-opus-4-20250514')?.outputPerMtok).toBe(75);
    expect(findModelPrice('gemini', 'models/gemini-2.5-flash')?.outputPerMtok).toBe(2.5);
    expect(findModelPrice('openai', 'gpt-4oops')).toBeNull();
    expect(findModelPrice('openai', 'my-finetune')).toBeNull();
  });

  it('never prices a different model as the shorter id it starts with (o1-pro is not o1)', () => {
    expect(findModelPrice('openai', 'o1-pro')?.inputPerMtok).toBe(150);
    expect(findModelPrice('openai', 'o1-pro-2025-03-19')?.outputPerMtok).toBe(600);
    expect(findModelPrice('openai', 'o1-2024-12-17')?.inputPerMtok).toBe(15);
    expect(findModelPrice('openai', 'o1-preview')).toBeNull();
    expect(findModelPrice('openai', 'gpt-4o-audio-preview')).toBeNull();
    expect(findModelPrice('openai', 'o3-deep-research')).toBeNull();
    expect(findModelPrice('gemini', 'gemini-1.5-pro-002')?.inputPerMtok).toBe(1.25);
  });

  it('prices input, output, cached input and cache writes', () => {
    // gpt-4o: 2.5 in, 10 out, 1.25 cached per Mtok.
    expect(tableCost('openai', 'gpt-4o', usage(1_000_000, 100_000))).toBeCloseTo(2.5 + 1, 10);
    expect(tableCost('openai', 'gpt-4o', usage(1000, 0, { cachedTokens: 400 }))).toBeCloseTo((600 * 2.5 + 400 * 1.25) / 1e6, 12);
    // claude-sonnet-4-5: 3 in, 15 out, reads 0.3, writes 3.75.
    const claude = tableCost('anthropic', 'claude-sonnet-4-5', usage(10_000, 1000, { cachedTokens: 5000, cacheWriteTokens: 2000 }));
    expect(claude).toBeCloseTo((3000 * 3 + 5000 * 0.3 + 2000 * 3.75 + 1000 * 15) / 1e6, 12);
    expect(tableCost('openai', 'unknown-model', usage(10, 10))).toBeNull();
  });
});

describe('the price book', () => {
  const book = createPriceBook({
    providerTypes: new Map([['main', 'openai'], ['local', 'openai'], ['claude', 'anthropic'], ['free', 'mock']]),
    overrides: new Map([['smart', { inputPerMtok: 1, outputPerMtok: 2 }]]),
    reachable: new Map([
      ['mixed', [{ provider: 'main', model: 'gpt-4o-mini' }, { provider: 'main', model: 'gpt-4o' }, { provider: 'claude', model: 'claude-sonnet-4-5' }]],
      ['offline', [{ provider: 'free', model: 'echo' }]],
    ]),
  });

  it('prices a call by the public model\'s override first, then the table by provider type', () => {
    expect(book.costUsd({ requestedModel: 'smart', provider: 'main', providerModel: 'gpt-4o' }, usage(1e6, 1e6))).toBe(3);
    expect(book.costUsd({ requestedModel: 'main/gpt-4o-mini', provider: 'main', providerModel: 'gpt-4o-mini' }, usage(1e6, 0))).toBeCloseTo(0.15, 10);
    expect(book.priceOf({ requestedModel: 'offline', provider: 'free', providerModel: 'echo' })?.outputPerMtok).toBe(0);
  });

  it('reports a model without a price on every call, flagged first once', () => {
    const unpriced: Array<[string, string, boolean]> = [];
    const reporting = createPriceBook({
      providerTypes: new Map([['local', 'openai']]), overrides: new Map(),
      onUnpriced: (provider, model, first) => unpriced.push([provider, model, first]),
    });
    const call = { requestedModel: 'x', provider: 'local', providerModel: 'llama-local' };
    expect(reporting.costUsd(call, usage(5, 5))).toBe(0);
    expect(reporting.costUsd(call, usage(5, 5))).toBe(0);
    expect(unpriced).toEqual([['local', 'llama-local', true], ['local', 'llama-local', false]]);
  });

  it('reserves at the dearest reachable target, each token type at its own maximum', () => {
    const worst = book.worstCase('mixed');
    // gpt-4o: 2.5 in / 10 out / 1.25 cached; claude-sonnet-4-5: 3 / 15 / 0.3 read / 3.75 write.
    expect(worst).toEqual({ inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 1.25, cacheWritePerMtok: 3.75 });
    expect(book.worstCase('offline')?.outputPerMtok).toBe(0);
    expect(book.worstCase('main/gpt-4o')).toEqual(findModelPrice('openai', 'gpt-4o'));
    expect(book.worstCase('smart')).toEqual({ inputPerMtok: 1, outputPerMtok: 2 });
    expect(book.worstCase('nobody-knows')).toBeNull();
  });

  it('reserves for fallback models at their own configured price, and refuses to guess when any reachable target is unpriced', () => {
    const models = [
      { name: 'cheap', targets: [{ provider: 'local', model: 'in-house' }], fallback_models: ['dear'], pricing: { input_per_mtok: 1, output_per_mtok: 1 } },
      { name: 'dear', targets: [{ provider: 'local', model: 'in-house-xl' }], fallback_models: [], pricing: { input_per_mtok: 50, output_per_mtok: 200 } },
      { name: 'long', targets: [{ provider: 'main', model: 'gpt-4o-mini' }], fallback_models: [], context_window_fallbacks: ['wide'] },
      { name: 'wide', targets: [{ provider: 'main', model: 'gpt-4.1' }], fallback_models: [] },
      { name: 'half-known', targets: [{ provider: 'main', model: 'gpt-4o' }, { provider: 'local', model: 'mystery' }], fallback_models: [] },
    ];
    const configured = createPricing({ models, providers: [{ name: 'local', type: 'openai' }, { name: 'main', type: 'openai' }] });
    expect(configured.worstCase('cheap')).toMatchObject({ inputPerMtok: 50, outputPerMtok: 200 });
    expect(configured.worstCase('long')).toMatchObject({ inputPerMtok: 2, outputPerMtok: 8 });
    expect(configured.worstCase('half-known')).toBeNull();
  });

  it('charges a budget exactly what the request log records, for every token type', () => {
    // Regression: budgets once priced Anthropic cache writes at the input price ($3.00/M) while the log said $3.75/M.
    const used = usage(10_000, 1000, { cachedTokens: 5000, cacheWriteTokens: 2000, reasoningTokens: 300 });
    const prices: ModelPrice[] = [
      book.priceOf({ requestedModel: 'mixed', provider: 'claude', providerModel: 'claude-sonnet-4-5' }),
      book.priceOf({ requestedModel: 'mixed', provider: 'main', providerModel: 'gpt-4o' }),
      book.worstCase('mixed'),
      { inputPerMtok: 0.15, outputPerMtok: 0.6 },
    ].filter((price): price is ModelPrice => price !== null);
    expect(prices).toHaveLength(4);
    for (const price of prices) {
      const logged = costOf(price, used);
      const charged = costInNanoUsd(price, used);
      // The budget rounds up to whole nano-dollars, never down.
      expect(charged).toBeGreaterThanOrEqual(logged * 1e9 - 1e-6);
      expect(charged - logged * 1e9).toBeLessThan(1);
    }
    expect(costInNanoUsd(prices[0] ?? null, used)).toBe((3000 * 3 + 5000 * 0.3 + 2000 * 3.75 + 1000 * 15) * 1000);
  });
});

describe('costInNanoUsd', () => {
  it('prices exactly and rounds up', () => {
    expect(costInNanoUsd({ inputPerMtok: 0.15, outputPerMtok: 0.6 }, usage(1000, 1000))).toBe(750_000);
    expect(costInNanoUsd({ inputPerMtok: 3, outputPerMtok: 15, cachedInputPerMtok: 0.3 }, usage(1000, 0, { cachedTokens: 1000 }))).toBe(300_000);
    expect(costInNanoUsd(null, usage(1000, 1000))).toBe(0);
  });
});

describe('estimateChatUsage', () => {
  it('counts prompt and completion tokens with the o200k tokenizer', () => {
    const estimated = estimateChatUsage({ model: 'm', messages: [{ role: 'user', content: 'Hello world' }] }, 'Hi there, friend!');
    // "Hello world" is 2 tokens; 3 framing tokens per message and 3 for the reply.
    expect(estimated.promptTokens).toBe(2 + 3 + 3);
    expect(estimated.completionTokens).toBeGreaterThanOrEqual(4);
    expect(estimated.totalTokens).toBe(estimated.promptTokens + estimated.completionTokens);
  });
});
