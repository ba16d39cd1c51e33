import { HISTOGRAM_SIZE } from '../rollup-store.js';
import type { RollupDimension } from '../rollup-store.js';

/** request_rollups_hourly's dimension columns, named as in request_logs (status_class excepted). */
export const ROLLUP_DIMENSION_COLUMN: Record<RollupDimension, string> = {
  key: 'key_id',
  tenant: 'tenant_id',
  model: 'requested_model',
  provider: 'provider',
  service: 'service_name',
  promptVersion: 'prompt_version',
  variant: 'experiment_variant',
  endpoint: 'endpoint',
  statusClass: 'status_class',
};

export const ROLLUP_DIMENSION_COLUMNS = Object.values(ROLLUP_DIMENSION_COLUMN);

export const ROLLUP_INTEGER_MEASURES = [
  'requests', 'errors', 'prompt_tokens', 'completion_tokens', 'total_tokens', 'cached_tokens', 'cache_write_tokens',
  'reasoning_tokens', 'cache_hits', 'cache_lookups',
] as const;

export const ROLLUP_REAL_MEASURES = ['cost_usd', 'saved_usd'] as const;

export function histogramColumns(): string[] {
  const columns: string[] = [];
  for (let index = 0; index < HISTOGRAM_SIZE; index += 1) columns.push(`latency_h${index}`);
  for (let index = 0; index < HISTOGRAM_SIZE; index += 1) columns.push(`ttft_h${index}`);
  return columns;
}
