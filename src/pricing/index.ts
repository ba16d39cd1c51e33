export { PRICE_TABLE, PRICE_TABLE_DATE } from './price-table.js';
export type { ModelPrice, PriceEntry } from './price-table.js';
export { costOf, findModelPrice, priceUsage } from './price-usage.js';
export { createPricer } from './create-pricer.js';
export type { PricedCall, Pricer, PricerSettings } from './create-pricer.js';
export { countTokens, estimateChatUsage, estimateEmbeddingsUsage } from './estimate-usage.js';
