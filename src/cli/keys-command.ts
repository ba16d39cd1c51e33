import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { createGateway } from '../main.js';
import { openDatabase, stateDirectory } from '../storage/index.js';

export interface KeysConnectionOptions {
  config?: string;
  /** A running gateway, e.g. http://127.0.0.1:4000; without it the command works on the configured database directly. */
  url?: string;
  /** Default: auth.master_key, else the development admin key file. */
  adminKey?: string;
  json?: boolean;
}

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
  const created = await callAdminApi(options, 'POST', '/admin/api/keys', body);
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
    const page = asRecord(await callAdminApi(options, 'GET', `/admin/api/keys${query}`));
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
  const revoked = await callAdminApi(options, 'DELETE', `/admin/api/keys/${encodeURIComponent(id)}`);
  if (options.json === true) process.stdout.write(`${JSON.stringify(revoked)}\n`);
  else process.stdout.write(`revoked ${id}\n`);
}

/** One admin API call: through a running gateway with `--url`, else an in-process gateway on the configured stores. */
export async function callAdminApi(options: KeysConnectionOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  if (options.url === undefined) return callInProcess(options, method, path, body);
  const { url, adminKey } = connection(options);
  const headers: Record<string, string> = { authorization: `Bearer ${adminKey}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new Error(`cannot reach the gateway at ${url} (is \`sluice start\` running there?): ${error instanceof Error ? error.message : String(error)}`);
  }
  const answer: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error = asRecord(asRecord(answer).error);
    throw new Error(`${response.status} ${String(error.code ?? '')}: ${String(error.message ?? 'request failed')}`);
  }
  return answer;
}

/** The admin API of an in-process gateway on the configured database (migrated first), never listening. */
async function callInProcess(options: KeysConnectionOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const { config } = loadConfig({ file: options.config });
  const database = openDatabase(config.storage.database_url, { cwd: process.cwd() });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  const quiet = { ...config, logging: { ...config.logging, level: 'error' as const, pretty: false } };
  const gateway = await createGateway(quiet);
  try {
    const response = await gateway.app.inject({
      method: method === 'POST' ? 'POST' : method === 'DELETE' ? 'DELETE' : 'GET',
      url: path,
      headers: body === undefined
        ? { authorization: `Bearer ${gateway.adminKey}` }
        : { authorization: `Bearer ${gateway.adminKey}`, 'content-type': 'application/json' },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer: unknown = response.json();
    if (response.statusCode >= 400) {
      const error = asRecord(asRecord(answer).error);
      throw new Error(`${response.statusCode} ${String(error.code ?? '')}: ${String(error.message ?? 'request failed')}`);
    }
    return answer;
  } finally {
    await gateway.close();
  }
}

function connection(options: KeysConnectionOptions): { url: string; adminKey: string } {
  const { config } = loadConfig({ file: options.config });
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  const url = (options.url ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.server.port}`).replace(/\/+$/, '');
  let adminKey = options.adminKey ?? config.auth.master_key;
  if (adminKey === undefined) {
    const file = join(stateDirectory(config.storage.database_url, process.cwd()), 'admin-key');
    if (existsSync(file)) adminKey = readFileSync(file, 'utf8').trim();
  }
  if (adminKey === undefined) throw new Error('no admin key: set auth.master_key or pass --admin-key');
  return { url, adminKey };
}

function parseCount(value: string, flag: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count <= 0) throw new Error(`${flag} must be a positive integer`);
  return count;
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {};
}

function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, index) => Math.max(header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}
