import { z } from 'zod';

/** URL-safe: it is a path segment of /v1/services/{name}/run. */
export const SERVICE_NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

const jsonSchemaObject = z.record(z.string(), z.unknown());

const messageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  /** `{{field}}` is replaced by the input's field (`{{input}}` by the whole input as JSON). */
  content: z.string().min(1),
});

/**
 * One named AI service as written in the config file (`services:`) and sent to the admin API.
 * The same shape in both places, so a service moves between them unchanged.
 */
export const serviceDefinitionSchema = z.strictObject({
  name: z.string().regex(SERVICE_NAME, 'letters, digits, "_", "." or "-" (at most 64), starting with a letter or digit'),
  description: z.string().default(''),
  type: z.enum(['json', 'text']).default('json'),
  /** An inline template… */
  template: z.strictObject({ messages: z.array(messageSchema).min(1) }).optional(),
  /** …or a prompt of the registry (used once the registry is available). */
  prompt: z.strictObject({
    name: z.string().min(1),
    label: z.string().min(1).optional(),
    version: z.int().positive().optional(),
  }).optional(),
  /** The public model (or `provider/model`) called by default; `options.model` may override it. */
  model: z.string().min(1).optional(),
  input_schema: jsonSchemaObject.optional(),
  output_schema: jsonSchemaObject.optional(),
  /** auto = the provider's native structured output (OpenAI json_schema, Anthropic tool, Gemini schema). */
  structured_output: z.enum(['auto', 'native', 'tool', 'prompt']).default('auto'),
  repair: z.strictObject({
    /** outside: drop `[1]` citations after the JSON; all: also inside strings; off: leave them. */
    citations: z.enum(['outside', 'all', 'off']).default('outside'),
    /** Accept a value whose end the model never wrote (the repair closed it). Off: re-ask, then fail. */
    allow_truncated: z.boolean().default(false),
  }).prefault({}),
  /** Try extraction and repair on `input.text` first; call the model only when they fail. */
  local_first: z.boolean().default(false),
  max_reasks: z.int().min(0).max(5).default(1),
  timeout_ms: z.int().positive().default(60_000),
  max_tokens: z.int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  cache: z.strictObject({ enabled: z.boolean().default(false), ttl_s: z.int().positive().default(86_400) }).prefault({}),
}).superRefine((service, context) => {
  if (service.template !== undefined && service.prompt !== undefined) {
    context.addIssue({ code: 'custom', path: ['prompt'], message: 'give template or prompt, not both' });
  }
  if (service.type === 'text' && service.output_schema !== undefined) {
    context.addIssue({ code: 'custom', path: ['output_schema'], message: 'only services of type json have an output schema' });
  }
});

export type ServiceDefinitionInput = z.input<typeof serviceDefinitionSchema>;
export type ServiceDefinition = z.output<typeof serviceDefinitionSchema>;
