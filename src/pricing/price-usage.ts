import { PRICE_TABLE } from './price-table.js';
import type { ModelPrice, PriceEntry } from './price-table.js';

const byModel = new Map<string, PriceEntry[]>();
for (const entry of PRICE_TABLE) {
  const key = entry.model.toLowerCase();
  byModel.set(key, [...(byModel.get(key) ?? []), entry]);
}

/**
 * What may follow a table id in a dated or versioned snapshot of the same model: a date
 * (`-2024-08-06`, `-20250929`, Vertex's `@20250929`), a three-digit revision (`-002`), `-latest`
 * or a Bedrock version (`-v1:0`). Anything else is another model: `o1-pro` is not `o1` (it costs
 * ten times as much), `gpt-4o-audio-preview` is not `gpt-4o`.
 */
const SNAPSHOT_SUFFIX = /^(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-\d{3}|-latest|-v\d+(?::\d+)?)$/;

/**
 * The built-in price of a model, or null when the table does not know it. Lookup: the exact id,
 * then without a routing prefix (`models/`, `openai/`), then the longest table id of which the
 * model is a snapshot (see SNAPSHOT_SUFFIX). When several vendors list the same id, the
 * provider's own type wins. An unknown model is null, never a cheaper relative's price.
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
        SNAPSHOT_SUFFIX.test(candidate.slice(id.length))) {
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
