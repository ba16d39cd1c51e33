import { asRecord, callAdminApi } from './admin-api-call.js';
import type { AdminConnectionOptions as KeysConnectionOptions } from './admin-api-call.js';
import { formatTable } from './format-table.js';

export interface CacheStatsOptions extends KeysConnectionOptions {
  since?: string;
  by?: string;
}

export interface CachePurgeOptions extends KeysConnectionOptions {
  namespace?: string;
  model?: string;
  tenant?: string;
  all?: boolean;
}

/**
 * `sluice cache stats`: hit rate and dollars saved per group, from the request log, plus what the
 * store holds. Like `sluice keys`, it goes through a running gateway with `--url`, else through
 * the admin API of an in-process gateway on the configured stores (right for a database or Redis
 * cache; a memory cache lives in the running process, so use `--url` for it).
 */
export async function runCacheStats(options: CacheStatsOptions): Promise<void> {
  const query = new URLSearchParams({ since: options.since ?? '24h' });
  if (options.by !== undefined) query.set('group_by', options.by);
  const answer = asRecord(await callAdminApi(options, 'GET', `/admin/api/cache/stats?${query.toString()}`));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(answer)}\n`);
    return;
  }
  const store = asRecord(answer.store);
  const groups = Array.isArray(answer.data) ? answer.data.map(asRecord) : [];
  if (options.by === 'namespace') {
    const rows = groups.map((group) => [String(group.group ?? ''), String(group.entries), String(group.bytes), String(group.hits), Number(group.saved_usd).toFixed(6)]);
    process.stdout.write(`${formatTable(['namespace', 'entries', 'bytes', 'hits', 'saved USD'], rows)}\n`);
  } else {
    const rows = groups.map((group) => [
      String(group.group ?? 'all'), String(group.requests), String(group.hits),
      `${(Number(group.hit_rate) * 100).toFixed(1)}%`, Number(group.saved_usd).toFixed(6), Number(group.cost_usd).toFixed(6),
    ]);
    process.stdout.write(`${formatTable([options.by ?? 'all', 'requests', 'hits', 'hit rate', 'saved USD', 'cost USD'], rows)}\n`);
  }
  process.stdout.write(`store: ${String(store.kind)}, ${String(store.entries)} entries, ${String(store.bytes)} bytes\n`);
}

/** `sluice cache purge --namespace P [--model M]`: invalidates at once on every instance sharing the store. */
export async function runCachePurge(options: CachePurgeOptions): Promise<void> {
  if (options.namespace === undefined && options.model === undefined && options.all !== true) {
    throw new Error('give --namespace, --model or --all');
  }
  const answer = await callAdminApi(options, 'POST', '/admin/api/cache/invalidate', {
    namespace_prefix: options.namespace ?? '',
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.tenant === undefined ? {} : { tenant_id: options.tenant }),
    ...(options.all === true ? { all: true } : {}),
  });
  if (options.json === true) process.stdout.write(`${JSON.stringify(answer)}\n`);
  else process.stdout.write(`invalidated: ${JSON.stringify(answer)}\n`);
}
