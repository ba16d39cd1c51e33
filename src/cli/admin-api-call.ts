import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { createGateway } from '../main.js';
import { openDatabase, stateDirectory } from '../storage/index.js';

/** How a command reaches the admin API: the configured database in process, or a running gateway. */
export interface AdminConnectionOptions {
  config?: string;
  /** A running gateway, e.g. http://127.0.0.1:4000; without it the command works on the configured database directly. */
  url?: string;
  /** Default: auth.master_key, else the development admin key file. */
  adminKey?: string;
  json?: boolean;
}

/**
 * One admin API call, through a running gateway with `--url`, else through an in-process gateway
 * on the configured database (no gateway needs to run): both go through the same admin API code.
 */
export async function callAdminApi(options: AdminConnectionOptions, method: string, path: string, body?: unknown): Promise<unknown> {
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
async function callInProcess(options: AdminConnectionOptions, method: string, path: string, body?: unknown): Promise<unknown> {
  const { config } = loadConfig({ file: options.config });
  const database = await openDatabase(config.storage.database_url, { cwd: process.cwd() });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  const quiet = { ...config, logging: { ...config.logging, level: 'error' as const, pretty: false } };
  const gateway = await createGateway(quiet);
  try {
    const response = await gateway.app.inject({
      method: method === 'POST' || method === 'PUT' || method === 'DELETE' ? method : 'GET',
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

function connection(options: AdminConnectionOptions): { url: string; adminKey: string } {
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

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : {};
}

export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, index) => Math.max(header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd();
  process.stdout.write(`${[line(headers), ...rows.map(line)].join('\n')}\n`);
}
