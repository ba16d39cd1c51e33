import { createPriceBook } from './price-book.js';
import type { PriceBook, ReachableTarget } from './price-book.js';
import type { ModelPrice } from './price-table.js';

/** A public model as pricing sees it: the `models[]` entry of the config, in its own spelling. */
export interface PricedModelSettings {
  name: string;
  targets: readonly ReachableTarget[];
  fallback_models: readonly string[];
  context_window_fallbacks?: readonly string[] | undefined;
  pricing?: {
    input_per_mtok: number;
    output_per_mtok: number;
    cached_input_per_mtok?: number | undefined;
    cache_write_per_mtok?: number | undefined;
  } | undefined;
}

export interface PricingSettings {
  models: readonly PricedModelSettings[];
  providers: ReadonlyArray<{ name: string; type: string }>;
  onUnpriced?: ((provider: string, model: string, first: boolean) => void) | undefined;
}

/** The gateway's one price book: configured overrides, the built-in table, and every reachable target. */
export function createPricing(settings: PricingSettings): PriceBook {
  const overrides = new Map<string, ModelPrice>();
  for (const model of settings.models) {
    if (model.pricing === undefined) continue;
    overrides.set(model.name, {
      inputPerMtok: model.pricing.input_per_mtok,
      outputPerMtok: model.pricing.output_per_mtok,
      cachedInputPerMtok: model.pricing.cached_input_per_mtok,
      cacheWritePerMtok: model.pricing.cache_write_per_mtok,
    });
  }
  return createPriceBook({
    providerTypes: new Map(settings.providers.map((provider) => [provider.name, provider.type])),
    overrides,
    reachable: reachableTargets(settings.models),
    onUnpriced: settings.onUnpriced,
  });
}

/**
 * Every provider model a public model may reach: its targets, then (recursively) those of its
 * fallback models and context-window fallbacks, so a reservation covers the dearest of them.
 */
export function reachableTargets(models: readonly PricedModelSettings[]): Map<string, ReachableTarget[]> {
  const byName = new Map(models.map((model) => [model.name, model]));
  const reachable = new Map<string, ReachableTarget[]>();
  for (const model of models) {
    const seen = new Set<string>();
    const targets: ReachableTarget[] = [];
    const visit = (name: string): void => {
      const entry = byName.get(name);
      if (entry === undefined || seen.has(name)) return;
      seen.add(name);
      for (const target of entry.targets) targets.push({ provider: target.provider, model: target.model, via: entry.name });
      for (const fallback of entry.fallback_models) visit(fallback);
      for (const fallback of entry.context_window_fallbacks ?? []) visit(fallback);
    };
    visit(model.name);
    reachable.set(model.name, targets);
  }
  return reachable;
}
