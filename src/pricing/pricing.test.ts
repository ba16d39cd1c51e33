import { describe, expect, it } from 'vitest';
import type { Usage } from '../core/index.js';
import { PRICE_TABLE, createPricer, estimateChatUsage, findModelPrice, priceUsage } from './index.js';

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

  it('prices input, output, cached input and cache writes', () => {
    // gpt-4o: 2.5 in, 10 out, 1.25 cached per Mtok.
    expect(priceUsage('openai', 'gpt-4o', usage(1_000_000, 100_000)).costUsd).toBeCloseTo(2.5 + 1, 10);
    expect(priceUsage('openai', 'gpt-4o', usage(1000, 0, { cachedTokens: 400 })).costUsd).toBeCloseTo((600 * 2.5 + 400 * 1.25) / 1e6, 12);
    // claude-sonnet-4-5: 3 in, 15 out, reads 0.3, writes 3.75.
    const claude = priceUsage('anthropic', 'claude-sonnet-4-5', usage(10_000, 1000, { cachedTokens: 5000, cacheWriteTokens: 2000 }));
    expect(claude.costUsd).toBeCloseTo((3000 * 3 + 5000 * 0.3 + 2000 * 3.75 + 1000 * 15) / 1e6, 12);
    expect(priceUsage('openai', 'unknown-model', usage(10, 10))).toEqual({ costUsd: 0, priced: false });
  });
});

describe('createPricer', () => {
  it('uses config overrides by public model, then the table by provider type, and reports unpriced models', () => {
    const unpriced: Array<[string, string, boolean]> = [];
    const pricer = createPricer({
      providerTypes: new Map([['main', 'openai'], ['local', 'openai']]),
      overrides: new Map([['smart', { inputPerMtok: 1, outputPerMtok: 2 }]]),
      onUnpriced: (provider, model, first) => unpriced.push([provider, model, first]),
    });
    expect(pricer.price({ requestedModel: 'smart', provider: 'main', providerModel: 'gpt-4o', usage: usage(1e6, 1e6) })).toBe(3);
    expect(pricer.price({ requestedModel: 'main/gpt-4o-mini', provider: 'main', providerModel: 'gpt-4o-mini', usage: usage(1e6, 0) })).toBeCloseTo(0.15, 10);
    expect(pricer.price({ requestedModel: 'x', provider: 'local', providerModel: 'llama-local', usage: usage(5, 5) })).toBe(0);
    expect(pricer.price({ requestedModel: 'x', provider: 'local', providerModel: 'llama-local', usage: usage(5, 5) })).toBe(0);
    expect(unpriced).toEqual([['local', 'llama-local', true], ['local', 'llama-local', false]]);
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
