import { asRecord, callAdminApi as call, printTable } from './admin-api-call.js';
import type { AdminConnectionOptions } from './admin-api-call.js';

export type KeysConnectionOptions = AdminConnectionOptions;

export interface KeysCreateOptions extends KeysConnectionOptions {
  name: string;
  tenant?: string;
  user?: string;
  tier?: string;
  role?: string;
  budgetUsd?: string;
  budgetPeriod?: string;
  rpm?: string;
  tpm?: string;
  maxConcurrent?: string;
  models?: string;
  expires?: string;
}

/**
 * `sluice keys …` works on the configured database directly (no gateway needs to run; running
 * instances see a change within `auth.key_cache_ttl_ms`), or with `--url` through a running
 * gateway's admin API. Both go through the same admin API code.
 */
export async function runKeysCreate(options: KeysCreateOptions): Promise<void> {
  const limits: Record<string, unknown> = {};
  if (options.rpm !== undefined) limits.rpm = parseCount(options.rpm, '--rpm');
  if (options.tpm !== undefined) limits.tpm = parseCount(options.tpm, '--tpm');
  if (options.maxConcurrent !== undefined) limits.max_concurrent = parseCount(options.maxConcurrent, '--max-concurrent');
  if (options.budgetUsd !== undefined) {
    const budget = Number(options.budgetUsd);
    if (!Number.isFinite(budget) || budget <= 0) throw new Error('--budget-usd must be a positive number');
    limits.budget_usd = budget;
    limits.budget_period = options.budgetPeriod ?? 'month';
  }
  const body: Record<string, unknown> = { name: options.name };
  if (options.tenant !== undefined) body.tenant = options.tenant;
  if (options.user !== undefined) body.user = options.user;
  if (options.tier !== undefined) body.tier = options.tier;
  if (options.role !== undefined) body.role = options.role;
  if (options.models !== undefined) body.models = options.models.split(',').map((model) => model.trim()).filter((model) => model !== '');
  if (options.expires !== undefined) body.expires_in = options.expires;
  if (Object.keys(limits).length > 0) body.limits = limits;
  const created = await call(options, 'POST', '/admin/api/keys', body);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(created)}\n`);
    return;
  }
  const record = asRecord(created);
  process.stderr.write(`created ${String(record.id)} (${String(record.name)}); the key is shown only once:\n`);
  process.stdout.write(`${String(record.key)}\n`);
}

export async function runKeysList(options: KeysConnectionOptions): Promise<void> {
  const keys: unknown[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '?limit=100' : `?limit=100&cursor=${encodeURIComponent(cursor)}`;
    const page = asRecord(await call(options, 'GET', `/admin/api/keys${query}`));
    if (Array.isArray(page.data)) keys.push(...page.data);
    cursor = typeof page.next_cursor === 'string' ? page.next_cursor : null;
  } while (cursor !== null);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ data: keys })}\n`);
    return;
  }
  const rows = keys.map((key) => {
    const record = asRecord(key);
    return [record.id, record.name, record.tenant ?? '-', record.tier ?? '-', record.status, record.key_hint, record.last_used_at ?? 'never']
      .map((value) => String(value));
  });
  printTable(['id', 'name', 'tenant', 'tier', 'status', 'key', 'last used'], rows);
}

export async function runKeysRevoke(id: string, options: KeysConnectionOptions): Promise<void> {
  const revoked = await call(options, 'DELETE', `/admin/api/keys/${encodeURIComponent(id)}`);
  if (options.json === true) process.stdout.write(`${JSON.stringify(revoked)}\n`);
  else process.stdout.write(`revoked ${id}\n`);
}

function parseCount(value: string, flag: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count <= 0) throw new Error(`${flag} must be a positive integer`);
  return count;
}
