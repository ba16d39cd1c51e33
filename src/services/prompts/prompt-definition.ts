import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { PromptTemplate, PromptType } from '../../storage/index.js';

/** Prompt names: no `@` (it separates the label in `x-sluice-prompt`) and no `/` (they sit in URLs). */
export const PROMPT_NAME = /^[A-Za-z0-9][\w.-]{0,199}$/;
/** `latest` is derived from the versions, never stored. */
export const LABEL_NAME = /^(?!latest$)[A-Za-z0-9][\w.-]{0,99}$/;

const positiveInt = z.int().positive();

/** Request fields a version supplies when the client leaves them unset; others pass through as written. */
export const modelConfigSchema = z.looseObject({
  model: z.string().min(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: positiveInt.optional(),
  max_completion_tokens: positiveInt.optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
  tools: z.array(z.record(z.string(), z.unknown())).optional(),
  tool_choice: z.unknown().optional(),
  response_format: z.record(z.string(), z.unknown()).optional(),
  seed: z.int().optional(),
});

const messageTemplateSchema = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.string(),
});

const templateSchema = z.union([z.string().min(1), z.array(messageTemplateSchema).min(1)]);
const jsonObject = z.record(z.string(), z.unknown());
const labelSchema = z.string().regex(LABEL_NAME, 'letters, digits, "_", "." or "-", and not "latest"');

/** A new version: through the admin API, a prompt file or the config's `prompts:` list. */
export const promptVersionInputSchema = z.strictObject({
  template: templateSchema,
  model_config: modelConfigSchema.default({}),
  variables: jsonObject.nullish(),
  output_schema: jsonObject.nullish(),
  commit_message: z.string().max(2000).default(''),
  /** Labels to point at the new version (each move recorded). */
  labels: z.array(labelSchema).max(20).default([]),
});

/** A whole prompt: its first version plus what describes it. */
export const promptDefinitionSchema = promptVersionInputSchema.extend({
  name: z.string().regex(PROMPT_NAME, 'letters, digits, "_", "." or "-", starting with a letter or digit (at most 200)'),
  type: z.enum(['text', 'chat']).optional(),
  description: z.string().max(2000).default(''),
  tags: z.array(z.string().min(1).max(100)).max(50).default([]),
  /** The tenant it belongs to; absent or null = global. Only the master key may choose. */
  tenant: z.string().min(1).nullish(),
});

export type PromptVersionInput = z.output<typeof promptVersionInputSchema>;
export type PromptDefinition = z.output<typeof promptDefinitionSchema>;

/** The type a template's shape implies: a string is text, a list of messages chat. */
export function templateType(template: PromptTemplate): PromptType {
  return typeof template === 'string' ? 'text' : 'chat';
}

/**
 * SHA-256 over the canonical JSON (keys sorted) of everything that makes a version what it is;
 * the commit message and labels do not count.
 */
export function contentHash(type: PromptType, version: Pick<PromptVersionInput, 'template' | 'model_config' | 'variables' | 'output_schema'>): string {
  return createHash('sha256').update(canonicalJson({
    type,
    template: version.template,
    model_config: version.model_config,
    variables: version.variables ?? null,
    output_schema: version.output_schema ?? null,
  })).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
