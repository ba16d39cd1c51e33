import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

/** One way a value failed its schema: a JSON Pointer (`/items/0/total`, `` for the root) and why. */
export interface SchemaIssue {
  path: string;
  message: string;
}

export type SchemaCheck = { ok: true } | { ok: false; issues: SchemaIssue[] };

export interface JsonSchemaValidator {
  readonly schema: Readonly<Record<string, unknown>>;
  /** The top-level type the schema asks for, when it names exactly one of object or array. */
  readonly expects: 'object' | 'array' | null;
  check(value: unknown): SchemaCheck;
}


/**
 * One ajv instance for every service schema: draft 2020-12 (what OpenAI, Gemini and Anthropic
 * accept), every error reported, `format` checked. `strict: false` so vendor keywords such as
 * `x-order` or `propertyOrdering` do not make a schema fail to compile.
 */
let shared: Ajv2020 | null = null;
function ajv(): Ajv2020 {
  if (shared === null) {
    // Loaded on first use: a gateway without services or JSON healing never pays for ajv.
    const require = createRequire(import.meta.url);
    const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const addFormats = (require('ajv-formats') as typeof import('ajv-formats')).default;
    shared = new AjvClass({ allErrors: true, strict: false, logger: false });
    addFormats(shared);
  }
  return shared;
}

/** Compiles a JSON Schema once; throws with ajv's message when it is not a valid schema. */
export function compileJsonSchema(schema: Readonly<Record<string, unknown>>): JsonSchemaValidator {
  const validate: ValidateFunction = ajv().compile(schema);
  return {
    schema,
    expects: expectedTopLevel(schema),
    check(value) {
      if (validate(value)) return { ok: true };
      return { ok: false, issues: (validate.errors ?? []).map(toIssue) };
    },
  };
}

/** Compiles a schema, or returns the reason it is not one (for config checks and the admin API). */
export function schemaProblem(schema: Readonly<Record<string, unknown>>): string | null {
  try {
    compileJsonSchema(schema);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function expectedTopLevel(schema: Readonly<Record<string, unknown>>): 'object' | 'array' | null {
  const type = schema['type'];
  if (type === 'object' || type === 'array') return type;
  if (type === undefined && (schema['properties'] !== undefined || schema['required'] !== undefined)) return 'object';
  if (type === undefined && schema['items'] !== undefined) return 'array';
  return null;
}

function toIssue(error: ErrorObject): SchemaIssue {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    return { path: `${error.instancePath}/${escapePointer(params['missingProperty'])}`, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return { path: `${error.instancePath}/${escapePointer(params['additionalProperty'])}`, message: 'is not allowed by the schema' };
  }
  if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    return { path: error.instancePath, message: `must be one of ${params['allowedValues'].map((item) => JSON.stringify(item)).join(', ')}` };
  }
  return { path: error.instancePath, message: error.message ?? error.keyword };
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The issues as a re-ask message lists them: `- /total: must be number`. */
export function formatIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((issue) => `- ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`).join('\n');
}
