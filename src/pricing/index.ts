export { PRICE_TABLE, PRICE_TABLE_DATE } from './price-table.js';
export type { ModelPrice, PriceEntry } from './price-table.js';
export { findModelPrice } from './price-usage.js';
export { costInNanoUsd, costOf, createPriceBook } from './price-book.js';
export type { PriceBook, PriceBookSettings, PricedCall, ReachableTarget } from './price-book.js';
export { countTokens, estimateChatUsage, estimateEmbeddingsUsage } from './estimate-usage.js';
export { createPricing, reachableTargets } from './create-pricing.js';
export type { PricedModelSettings, PricingSettings } from './create-pricing.js';
