import { PRICE_TABLE } from './price-table.js';
import type { ModelPrice, PriceEntry } from './price-table.js';

const byModel = new Map<string, PriceEntry[]>();
for (const entry of PRICE_TABLE) {
  const key = entry.model.toLowerCase();
  byModel.set(key, [...(byModel.get(key) ?? []), entry]);
}

/**
 * The built-in price of a model, or null when the table does not know it. Lookup: the exact id,
 * then without a routing prefix (`models/`, `openai/`), then the longest table id the model starts
 * with followed by `-` or `@` (dated snapshots such as `claude-sonnet-4-5-20250929`). When several
 * vendors list the same id, the provider's own type wins.
 */
export function findModelPrice(providerType: string, model: string): ModelPrice | null {
  const candidates = [model.toLowerCase()];
  const slash = model.lastIndexOf('/');
  if (slash >= 0) candidates.push(model.slice(slash + 1).toLowerCase());
  for (const candidate of candidates) {
    const exact = byModel.get(candidate);
    if (exact !== undefined) return choose(exact, providerType);
  }
  for (const candidate of candidates) {
    let best: PriceEntry[] | undefined;
    let bestLength = 0;
    for (const [id, entries] of byModel) {
      if (id.length > bestLength && candidate.length > id.length && candidate.startsWith(id) &&
        (candidate[id.length] === '-' || candidate[id.length] === '@')) {
        best = entries;
        bestLength = id.length;
      }
    }
    if (best !== undefined) return choose(best, providerType);
  }
  return null;
}

function choose(entries: PriceEntry[], providerType: string): PriceEntry | null {
  return entries.find((entry) => entry.vendor === providerType) ?? entries[0] ?? null;
}
