import type { z } from 'zod';
import { GatewayError } from '../core/index.js';

/** Validates a request body; the first problem becomes `invalid_request` naming its `param`. */
export function parseBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue === undefined ? null : formatParam(issue.path);
  const message = issue === undefined ? 'invalid request' : describeIssue(issue, param);
  throw new GatewayError('invalid_request', message, { param });
}

function formatParam(path: ReadonlyArray<PropertyKey>): string | null {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text === '' ? null : text;
}

function describeIssue(issue: z.core.$ZodIssue, param: string | null): string {
  if (param === null) return issue.message;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `Missing required parameter: '${param}'.`;
  if (issue.code === 'invalid_union' && issue.path.at(-1) === 'role') return `Invalid value for '${param}': unknown role.`;
  return `Invalid value for '${param}': ${issue.message}.`;
}
