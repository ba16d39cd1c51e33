import { z } from 'zod';

/**
 * Supply-side caps (`providers[].limits`, `models[].limits`, `models[].targets[].limits`): tokens
 * and USD per UTC day and month, and requests per minute toward the upstream. A target whose cap
 * would be passed is skipped like an open circuit.
 */
export const capsSchema = z.strictObject({
  tokens_per_day: z.int().positive().optional(),
  tokens_per_month: z.int().positive().optional(),
  usd_per_day: z.number().positive().optional(),
  usd_per_month: z.number().positive().optional(),
  rpm: z.int().positive().optional(),
});

export type CapsConfig = z.output<typeof capsSchema>;
