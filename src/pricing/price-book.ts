import type { Usage } from '../core/index.js';
import { LruCache } from '../lib/index.js';
import type { ModelPrice } from './price-table.js';
import { findModelPrice } from './price-usage.js';

/** A provider model a public model may reach: one of its targets, or one of its fallback models'. */
export interface ReachableTarget {
  provider: string;
  model: string;
  /** The public model this target belongs to, whose configured `pricing` prices it (fallbacks have their own). */
  via?: string | undefined;
}

export interface PriceBookSettings {
  /** Configured provider name → provider type (`openai`, `anthropic`, `gemini`, `mock`). */
  providerTypes: ReadonlyMap<string, string>;
  /** Public model name → its configured `pricing`, which wins over the built-in table. */
  overrides: ReadonlyMap<string, ModelPrice>;
  /** Public model name → every provider model it may reach (targets, then fallback models' targets). */
  reachable?: ReadonlyMap<string, readonly ReachableTarget[]> | undefined;
  /** Called for every priced call of a model without a price; `first` is true once per model. */
  onUnpriced?: ((provider: string, model: string, first: boolean) => void) | undefined;
}

/** The call that answered: what the request log prices and what a budget settles. */
export interface PricedCall {
  /** The public model the client asked for (its config `pricing` overrides the table). */
  requestedModel: string | null;
  /** The configured provider name that answered. */
  provider: string | null;
  /** The upstream's model id. */
  providerModel: string | null;
}

/**
 * The one place that says what a call costs. Budgets reserve at `worstCase` and settle at
 * `priceOf`, the request log prices with `priceOf`, and both turn a price and a usage into money
 * with `costOf`/`costInNanoUsd` — so a budget's charge and the logged cost cannot disagree.
 */
export interface PriceBook {
  /** The price of the call that answered: the public model's override, else the table; null = unknown. */
  priceOf(call: PricedCall): ModelPrice | null;
  /**
   * The dearest price a public model may cost, each token type at its maximum over every target
   * it may reach (fallback models and context-window fallbacks included, each at its own
   * configured price or the table's); a `provider/model` name is its own only target. Null when
   * any reachable target has no price: a budget cannot bound what it cannot price.
   */
  worstCase(requestedModel: string): ModelPrice | null;
  /** `costOf(priceOf(call), usage)`; 0 (and `onUnpriced`) for a model without a price. */
  costUsd(call: PricedCall, usage: Usage): number;
}

/** Built-in lookups are memoised; client-chosen model names must not grow the memo without bound. */
const MEMO_LIMIT = 4096;

export function createPriceBook(settings: PriceBookSettings): PriceBook {
  const tableMemo = new LruCache<string, ModelPrice | null>(MEMO_LIMIT);
  const worstMemo = new LruCache<string, ModelPrice | null>(MEMO_LIMIT);
  const reported = new LruCache<string, true>(MEMO_LIMIT);

  function tablePrice(provider: string, model: string): ModelPrice | null {
    const key = `${provider}\u0000${model}`;
    const memoised = tableMemo.get(key);
    if (memoised !== undefined) return memoised;
    const type = settings.providerTypes.get(provider) ?? provider;
    // The offline mock provider is free, not unpriced.
    const price = type === 'mock' ? FREE : findModelPrice(type, model);
    tableMemo.set(key, price);
    return price;
  }

  function priceOf(call: PricedCall): ModelPrice | null {
    const override = call.requestedModel === null ? undefined : settings.overrides.get(call.requestedModel);
    if (override !== undefined) return override;
    if (call.provider === null || call.providerModel === null) return null;
    return tablePrice(call.provider, call.providerModel);
  }

  function worstCase(requestedModel: string): ModelPrice | null {
    const memoised = worstMemo.get(requestedModel);
    if (memoised !== undefined) return memoised;
    let targets = settings.reachable?.get(requestedModel);
    const override = settings.overrides.get(requestedModel);
    if (targets === undefined && override !== undefined) return override;
    if (targets === undefined) {
      const slash = requestedModel.indexOf('/');
      targets = slash > 0 ? [{ provider: requestedModel.slice(0, slash), model: requestedModel.slice(slash + 1) }] : [];
    }
    let worst: ModelPrice | null = null;
    for (const target of targets) {
      const price = (target.via === undefined ? undefined : settings.overrides.get(target.via)) ?? tablePrice(target.provider, target.model);
      if (price === null) {
        worst = null;
        break;
      }
      worst = worst === null ? price : dearest(worst, price);
    }
    worstMemo.set(requestedModel, worst);
    return worst;
  }

  return {
    priceOf,
    worstCase,
    costUsd(call, usage) {
      const price = priceOf(call);
      if (price !== null) return costOf(price, usage);
      if (call.provider !== null && call.providerModel !== null && settings.onUnpriced !== undefined) {
        const key = `${call.provider}\u0000${call.providerModel}`;
        const first = !reported.has(key);
        if (first) reported.set(key, true);
        settings.onUnpriced(call.provider, call.providerModel, first);
      }
      return 0;
    },
  };
}

const FREE: ModelPrice = Object.freeze({ inputPerMtok: 0, outputPerMtok: 0, cachedInputPerMtok: 0, cacheWritePerMtok: 0 });

/** Each token type at the higher of two prices (a missing cache price is the input price). */
function dearest(a: ModelPrice, b: ModelPrice): ModelPrice {
  return {
    inputPerMtok: Math.max(a.inputPerMtok, b.inputPerMtok),
    outputPerMtok: Math.max(a.outputPerMtok, b.outputPerMtok),
    cachedInputPerMtok: Math.max(a.cachedInputPerMtok ?? a.inputPerMtok, b.cachedInputPerMtok ?? b.inputPerMtok),
    cacheWritePerMtok: Math.max(a.cacheWritePerMtok ?? a.inputPerMtok, b.cacheWritePerMtok ?? b.inputPerMtok),
  };
}

/**
 * Token counts × USD per million tokens, i.e. micro-USD. Cached and cache-write tokens are part
 * of promptTokens and are priced at their own rates, the rest of the prompt at the input rate.
 */
function microUsd(price: ModelPrice, usage: Usage): number {
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const written = Math.min(usage.cacheWriteTokens, usage.promptTokens - cached);
  const plainInput = usage.promptTokens - cached - written;
  return plainInput * price.inputPerMtok +
    cached * (price.cachedInputPerMtok ?? price.inputPerMtok) +
    written * (price.cacheWritePerMtok ?? price.inputPerMtok) +
    usage.completionTokens * price.outputPerMtok;
}

/** The cost in USD of one call's usage at a price. */
export function costOf(price: ModelPrice, usage: Usage): number {
  return microUsd(price, usage) / 1_000_000;
}

/**
 * The same cost in nano-USD, the unit of budget counters (integers keep Redis exact), rounded up
 * so that a settlement never undercounts; null prices cost 0.
 */
export function costInNanoUsd(price: ModelPrice | null, usage: Usage): number {
  if (price === null) return 0;
  // Round away float noise (0.15 × 1000 = 150.00000000000003) before rounding up.
  return Math.ceil(Math.round(microUsd(price, usage) * 1000 * 1e6) / 1e6);
}
