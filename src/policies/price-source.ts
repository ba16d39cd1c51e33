/** USD per million tokens. */
export interface ModelPricing {
  inputPerMtok: number;
  outputPerMtok: number;
  cachedInputPerMtok?: number | undefined;
}

/**
 * Where policies learn what a call costs. The requested (public) model gives the worst case for
 * a reservation; the provider and provider model that answered give the settlement.
 */
export interface PriceSource {
  priceFor(requestedModel: string, provider: string | null, providerModel: string | null): ModelPricing | null;
}

/** Fixed prices per public model (tests, and callers without the shared table). */
export class ConfiguredModelPriceSource implements PriceSource {
  private readonly prices: ReadonlyMap<string, ModelPricing>;

  constructor(prices: ReadonlyMap<string, ModelPricing>) {
    this.prices = prices;
  }

  priceFor(requestedModel: string): ModelPricing | null {
    return this.prices.get(requestedModel) ?? null;
  }
}

/** Nano-USD (integers keep Redis counters exact), rounded up so a settlement never undercounts. */
export function costInNanoUsd(
  pricing: ModelPricing | null,
  promptTokens: number,
  completionTokens: number,
  cachedTokens = 0,
): number {
  if (pricing === null) return 0;
  const cachedPrice = pricing.cachedInputPerMtok ?? pricing.inputPerMtok;
  const microUsdTimesMtok = (promptTokens - cachedTokens) * pricing.inputPerMtok + cachedTokens * cachedPrice +
    completionTokens * pricing.outputPerMtok;
  // Round away float noise (0.15 × 1000 = 150.00000000000003) before rounding up.
  return Math.ceil(Math.round(microUsdTimesMtok * 1000 * 1e6) / 1e6);
}
