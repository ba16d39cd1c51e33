import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parsePromptFile } from '../services/index.js';
import { asRecord, callAdminApi, printTable } from './admin-api-call.js';
import type { AdminConnectionOptions } from './admin-api-call.js';

export interface PromptsOptions extends AdminConnectionOptions {
  /** A tenant's prompts (master key only); default the global ones. */
  tenant?: string;
}

/** `sluice prompts list`: every prompt with its labels and latest version. */
export async function runPromptsList(options: PromptsOptions): Promise<void> {
  const prompts: unknown[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '100' });
    if (options.tenant !== undefined) query.set('tenant', options.tenant);
    if (cursor !== null) query.set('cursor', cursor);
    const page = asRecord(await callAdminApi(options, 'GET', `/admin/api/prompts?${query.toString()}`));
    if (Array.isArray(page.data)) prompts.push(...page.data);
    cursor = typeof page.next_cursor === 'string' ? page.next_cursor : null;
  } while (cursor !== null);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ data: prompts })}\n`);
    return;
  }
  printTable(['name', 'tenant', 'type', 'latest', 'labels', 'description'], prompts.map((prompt) => {
    const record = asRecord(prompt);
    return [String(record.name), String(record.tenant ?? '-'), String(record.type), String(record.latest_version ?? '-'), formatLabels(record.labels), String(record.description ?? '')];
  }));
}

/** `sluice prompts show NAME`: one version (production, else the latest; or `--label`, `--version`). */
export async function runPromptsShow(name: string, options: PromptsOptions & { label?: string; version?: string }): Promise<void> {
  const query = new URLSearchParams();
  if (options.label !== undefined) query.set('label', options.label);
  if (options.version !== undefined) query.set('version', options.version);
  if (options.tenant !== undefined) query.set('tenant', options.tenant);
  const prompt = asRecord(await callAdminApi(options, 'GET', `/admin/api/prompts/${encodeURIComponent(name)}?${query.toString()}`));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(prompt)}\n`);
    return;
  }
  const version = asRecord(prompt.version);
  const lines = [
    `${String(prompt.name)} (${String(prompt.type)}${prompt.tenant === null ? '' : `, tenant ${String(prompt.tenant)}`}): version ${String(version.version)} of ${String(prompt.latest_version)}`,
    `labels: ${formatLabels(prompt.labels)}`,
    `model config: ${JSON.stringify(version.model_config)}`,
    `commit: ${String(version.commit_message || '-')} (${String(version.created_by)}, ${String(version.created_at)})`,
    '',
  ];
  const template = version.template;
  if (typeof template === 'string') lines.push(template);
  else if (Array.isArray(template)) for (const message of template) lines.push(`[${String(asRecord(message).role)}]`, String(asRecord(message).content));
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `sluice prompts push FILE`: the prompt is created, or gets a version when the file changed; its labels are applied. */
export async function runPromptsPush(file: string, options: PromptsOptions): Promise<void> {
  const definition = parsePromptFile(readFileSync(file, 'utf8'), basename(file, extname(file)));
  const body = options.tenant === undefined ? definition : { ...definition, tenant: options.tenant };
  const result = asRecord(await callAdminApi(options, 'POST', '/admin/api/prompts/push', body));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const what = result.created === 'prompt' ? 'created' : result.created === 'version' ? 'new version' : 'unchanged';
  process.stdout.write(`${definition.name}: ${what}, version ${String(result.version)}\n`);
  for (const move of Array.isArray(result.label_moves) ? result.label_moves : []) process.stdout.write(`  ${describeMove(asRecord(move))}\n`);
}

/** `sluice prompts label NAME LABEL VERSION`: moves a label (a rollback is a move to an older version). */
export async function runPromptsLabel(name: string, label: string, version: string, options: PromptsOptions & { reason?: string }): Promise<void> {
  const number = Number(version.replace(/^v/, ''));
  if (!Number.isInteger(number) || number < 1) throw new Error('VERSION must be a version number: 1, 2, 3…');
  const result = asRecord(await callAdminApi(options, 'PUT', `/admin/api/prompts/${encodeURIComponent(name)}/labels/${encodeURIComponent(label)}${tenantQuery(options)}`, {
    version: number, ...(options.reason === undefined ? {} : { reason: options.reason }),
  }));
  if (options.json === true) process.stdout.write(`${JSON.stringify(result)}\n`);
  else if (result.moved === true) process.stdout.write(`${name}: ${describeMove(asRecord(result.event))}\n`);
  else process.stdout.write(`${name}: ${label} already points at version ${number}\n`);
}

/** `sluice prompts history NAME`: every label move, newest first. */
export async function runPromptsHistory(name: string, options: PromptsOptions & { label?: string }): Promise<void> {
  const path = options.label === undefined
    ? `/admin/api/prompts/${encodeURIComponent(name)}/history`
    : `/admin/api/prompts/${encodeURIComponent(name)}/labels/${encodeURIComponent(options.label)}/history`;
  const page = asRecord(await callAdminApi(options, 'GET', `${path}${tenantQuery(options)}`));
  const events = Array.isArray(page.data) ? page.data : [];
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ data: events })}\n`);
    return;
  }
  printTable(['at', 'label', 'from', 'to', 'by', 'reason'], events.map((event) => {
    const record = asRecord(event);
    return [String(record.at), String(record.label), String(record.from_version ?? '-'), String(record.to_version), String(record.actor), String(record.reason ?? '')];
  }));
}

function tenantQuery(options: PromptsOptions): string {
  return options.tenant === undefined ? '' : `?tenant=${encodeURIComponent(options.tenant)}`;
}

function formatLabels(labels: unknown): string {
  const entries = Object.entries(asRecord(labels));
  return entries.length === 0 ? '-' : entries.map(([label, version]) => `${label}=${String(version)}`).join(' ');
}

function describeMove(move: Record<string, unknown>): string {
  return `${String(move.label)}: ${String(move.from_version ?? '-')} → ${String(move.to_version)}`;
}
