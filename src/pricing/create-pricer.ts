import type { Usage } from '../core/index.js';
import type { ModelPrice } from './price-table.js';
import { costOf, findModelPrice } from './price-usage.js';

export interface PricedCall {
  /** The public model the client asked for (its config `pricing` overrides the table). */
  requestedModel: string | null;
  /** The configured provider name that answered. */
  provider: string | null;
  /** The upstream's model id. */
  providerModel: string | null;
  usage: Usage;
}

export interface Pricer {
  /** Cost in USD; 0 for a model without a price (reported once through onUnpriced). */
  price(call: PricedCall): number;
}

export interface PricerSettings {
  /** Configured provider name → provider type. */
  providerTypes: ReadonlyMap<string, string>;
  /** Public model name → override price. */
  overrides: ReadonlyMap<string, ModelPrice>;
  /** Called for every call of a model without a price (count it); `first` is true once per model. */
  onUnpriced?: (provider: string, model: string, first: boolean) => void;
}

/** Prices calls with config overrides first, then the built-in table; lookups are memoised. */
export function createPricer(settings: PricerSettings): Pricer {
  const memo = new Map<string, ModelPrice | null>();
  return {
    price(call: PricedCall): number {
      const override = call.requestedModel === null ? undefined : settings.overrides.get(call.requestedModel);
      if (override !== undefined) return costOf(override, call.usage);
      if (call.providerModel === null) return 0;
      const providerType = call.provider === null ? '' : settings.providerTypes.get(call.provider) ?? call.provider;
      // The offline mock provider is free, not unpriced.
      if (providerType === 'mock') return 0;
      const key = `${providerType}\u0000${call.providerModel}`;
      let price = memo.get(key);
      const first = price === undefined;
      if (price === undefined) {
        price = findModelPrice(providerType, call.providerModel);
        memo.set(key, price);
      }
      if (price === null) {
        settings.onUnpriced?.(call.provider ?? '', call.providerModel, first);
        return 0;
      }
      return costOf(price, call.usage);
    },
  };
}
