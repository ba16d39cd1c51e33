import { findModelPrice } from '../pricing/index.js';
import type { ModelPricing, PriceSource } from './price-source.js';

export interface TablePriceSourceSettings {
  /** Public model name → its configured `pricing` (wins over the table). */
  overrides: ReadonlyMap<string, ModelPricing>;
  /** Configured provider name → provider type (`openai`, `anthropic`, `gemini`, `mock`). */
  providerTypes: ReadonlyMap<string, string>;
  /** Public model name → every provider model it may reach (its targets and its fallback models' targets). */
  targets: ReadonlyMap<string, ReadonlyArray<{ provider: string; model: string }>>;
}

/**
 * Prices from the shared price table, the same the request log uses: a config override for the
 * public model first, else the table. The worst case of a public model is the dearest of every
 * target it may fall back to; a `provider/model` name prices that model. The mock is free.
 */
export class TablePriceSource implements PriceSource {
  private readonly settings: TablePriceSourceSettings;
  private readonly memo = new Map<string, ModelPricing | null>();

  constructor(settings: TablePriceSourceSettings) {
    this.settings = settings;
  }

  priceFor(requestedModel: string, provider: string | null, providerModel: string | null): ModelPricing | null {
    const override = this.settings.overrides.get(requestedModel);
    if (override !== undefined) return override;
    if (provider !== null && providerModel !== null) return this.tablePrice(provider, providerModel);
    const key = `worst\u0000${requestedModel}`;
    const memoised = this.memo.get(key);
    if (memoised !== undefined) return memoised;
    let targets = this.settings.targets.get(requestedModel);
    if (targets === undefined) {
      const slash = requestedModel.indexOf('/');
      targets = slash > 0 ? [{ provider: requestedModel.slice(0, slash), model: requestedModel.slice(slash + 1) }] : [];
    }
    let worst: ModelPricing | null = null;
    for (const target of targets) {
      const price = this.tablePrice(target.provider, target.model);
      if (price === null) continue;
      worst = worst === null ? { ...price } : {
        inputPerMtok: Math.max(worst.inputPerMtok, price.inputPerMtok),
        outputPerMtok: Math.max(worst.outputPerMtok, price.outputPerMtok),
        cachedInputPerMtok: Math.max(worst.cachedInputPerMtok ?? worst.inputPerMtok, price.cachedInputPerMtok ?? price.inputPerMtok),
      };
    }
    this.memo.set(key, worst);
    return worst;
  }

  private tablePrice(provider: string, model: string): ModelPricing | null {
    const key = `${provider}\u0000${model}`;
    const memoised = this.memo.get(key);
    if (memoised !== undefined) return memoised;
    const type = this.settings.providerTypes.get(provider) ?? provider;
    const price = type === 'mock' ? null : findModelPrice(type, model);
    const pricing = price === null ? null : { inputPerMtok: price.inputPerMtok, outputPerMtok: price.outputPerMtok, cachedInputPerMtok: price.cachedInputPerMtok };
    this.memo.set(key, pricing);
    return pricing;
  }
}
