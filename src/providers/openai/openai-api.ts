import { z } from 'zod';

/** Only what Sluice reads of OpenAI's wire format; every other field passes through untouched. */

export const openaiUsageSchema = z.looseObject({
  prompt_tokens: z.number(),
  completion_tokens: z.number().default(0),
  total_tokens: z.number(),
  prompt_tokens_details: z.looseObject({
    cached_tokens: z.number().nullish(),
    cache_write_tokens: z.number().nullish(),
  }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
});

/** The cheap check of the hot path: a completion-like object whose usage, if any, is well formed. */
export const openaiResponseUsageSchema = z.looseObject({
  choices: z.array(z.unknown()),
  usage: openaiUsageSchema.nullish(),
});

const finishReasonSchema = z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']).nullable().catch('stop');

const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

export const openaiChatCompletionSchema = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number(),
  model: z.string(),
  choices: z.array(z.looseObject({
    index: z.number(),
    message: z.looseObject({
      role: z.literal('assistant'),
      content: z.string().nullable().default(null),
      refusal: z.string().nullish(),
      tool_calls: z.array(toolCallSchema).optional(),
    }),
    finish_reason: finishReasonSchema,
    logprobs: z.unknown(),
  })),
  usage: openaiUsageSchema.nullish(),
});

const toolCallDeltaSchema = z.looseObject({
  index: z.number(),
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

export const openaiChunkSchema = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number(),
  model: z.string(),
  choices: z.array(z.looseObject({
    index: z.number(),
    delta: z.looseObject({
      role: z.literal('assistant').optional(),
      content: z.string().nullish(),
      refusal: z.string().nullish(),
      tool_calls: z.array(toolCallDeltaSchema).optional(),
    }),
    finish_reason: finishReasonSchema.default(null),
    logprobs: z.unknown().optional(),
  })),
  usage: openaiUsageSchema.nullish(),
});

export const openaiEmbeddingsSchema = z.looseObject({
  object: z.literal('list'),
  model: z.string(),
  data: z.array(z.looseObject({
    object: z.literal('embedding'),
    index: z.number(),
    embedding: z.union([z.array(z.number()), z.string()]),
  })),
  usage: z.looseObject({ prompt_tokens: z.number(), total_tokens: z.number() }),
});

export const openaiErrorBodySchema = z.looseObject({
  error: z.union([
    z.looseObject({
      message: z.string().nullish(),
      type: z.string().nullish(),
      code: z.union([z.string(), z.number()]).nullish(),
    }),
    z.string(),
  ]),
});
