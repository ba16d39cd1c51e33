import { z } from 'zod';

/** Experiment and variant names: they appear in headers and in the request log, where `:` separates fields. */
export const EXPERIMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const EXPERIMENT_METRICS = ['success_rate', 'latency', 'cost', 'tokens'] as const;
export const GUARDRAIL_METRICS = ['success_rate', 'latency', 'latency_p95', 'cost', 'tokens'] as const;

/** A feedback metric's name, as POST /v1/feedback takes it. */
export const FEEDBACK_METRIC = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** success_rate | latency | cost | tokens | feedback:<metric> */
const primaryMetricSchema = z.union([
  z.enum(EXPERIMENT_METRICS),
  z.string().regex(/^feedback:[a-z0-9][a-z0-9_.-]{0,63}$/, 'success_rate, latency, cost, tokens or feedback:<metric>'),
]);

const name = z.string().regex(EXPERIMENT_NAME, 'letters, digits, _ . - (at most 64), starting with a letter or digit');

/** The request parameters a variant may set: sampling and length, never the messages or tools. */
export const variantParamsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  max_tokens: z.int().positive().optional(),
  max_completion_tokens: z.int().positive().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  seed: z.int().optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
  reasoning_effort: z.string().min(1).max(32).optional(),
});
export type VariantParams = z.infer<typeof variantParamsSchema>;

const variantSchema = z.strictObject({
  name,
  weight: z.number().min(0).max(1_000_000).default(1),
  model: z.string().min(1).max(256).optional(),
  prompt_version: z.int().positive().optional(),
  params: variantParamsSchema.optional(),
});

const targetSchema = z.union([
  z.strictObject({ model: z.string().min(1).max(256) }),
  z.strictObject({ prompt: z.string().min(1).max(256) }),
  z.strictObject({ service: z.string().min(1).max(256) }),
]);

/** The fields an experiment is defined by, as the admin API and the config file take them. */
const definitionFields = {
  description: z.string().max(2000).default(''),
  target: targetSchema,
  unit: z.enum(['user', 'session', 'key', 'request']).default('user'),
  variants: z.array(variantSchema).min(2).max(10),
  primary_metric: primaryMetricSchema.default('success_rate'),
  guardrails: z.array(z.enum(GUARDRAIL_METRICS)).max(5).default([]),
  min_samples_per_variant: z.int().min(1).max(10_000_000).default(100),
  confidence: z.number().min(0.5).max(0.9999).default(0.95),
};

function checkVariants(definition: { variants: Array<{ name: string; weight: number }> }, context: z.RefinementCtx): void {
  const seen = new Set<string>();
  definition.variants.forEach((variant, index) => {
    if (seen.has(variant.name)) context.addIssue({ code: 'custom', path: ['variants', index, 'name'], message: `duplicate variant name ${variant.name}` });
    seen.add(variant.name);
  });
  if (definition.variants.every((variant) => variant.weight === 0)) {
    context.addIssue({ code: 'custom', path: ['variants'], message: 'at least one variant needs a weight above 0' });
  }
}

/** POST /admin/api/experiments. */
export const experimentCreateSchema = z.strictObject({ name, ...definitionFields }).superRefine(checkVariants);
export type ExperimentCreateInput = z.infer<typeof experimentCreateSchema>;

/** PATCH /admin/api/experiments/{name}: the fields to change; `new_phase` to change a running one. */
export const experimentUpdateSchema = z.strictObject({
  description: definitionFields.description.optional(),
  unit: z.enum(['user', 'session', 'key', 'request']).optional(),
  variants: definitionFields.variants.optional(),
  primary_metric: primaryMetricSchema.optional(),
  guardrails: z.array(z.enum(GUARDRAIL_METRICS)).max(5).optional(),
  min_samples_per_variant: definitionFields.min_samples_per_variant.optional(),
  confidence: definitionFields.confidence.optional(),
  new_phase: z.boolean().default(false),
}).superRefine((update, context) => {
  if (update.variants !== undefined) checkVariants({ variants: update.variants }, context);
});
export type ExperimentUpdateInput = z.infer<typeof experimentUpdateSchema>;

/**
 * `experiments:` in the config file: the same fields, plus the status to create it in and an
 * optional salt. Without a salt the name is hashed into one, so that instances with separate
 * databases still assign every unit alike.
 */
export const configExperimentSchema = z.strictObject({
  name,
  ...definitionFields,
  status: z.enum(['draft', 'running']).default('draft'),
  salt: z.string().min(1).max(128).optional(),
}).superRefine(checkVariants);
export type ConfigExperiment = z.infer<typeof configExperimentSchema>;

/** POST /admin/api/experiments/{name}/stop */
export const experimentStopSchema = z.strictObject({
  winner: name.optional(),
  promote: z.boolean().default(false),
});

/** POST /v1/feedback */
export const feedbackSchema = z.strictObject({
  request_id: z.string().min(1).max(128),
  metric: z.string().regex(FEEDBACK_METRIC, 'lowercase letters, digits, _ . - (at most 64)'),
  value: z.number().finite(),
});
