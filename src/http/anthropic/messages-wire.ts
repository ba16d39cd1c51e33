import { z } from 'zod';
import { WIRE_LIMITS, endUserSchema, modelIdSchema } from '../wire-limits.js';

/**
 * The Anthropic Messages request bodies Sluice accepts on /v1/messages. Objects are loose: an
 * Anthropic target receives the body as sent; fields read for translation are checked here.
 */

const cacheControl = z.looseObject({ type: z.string() }).nullish();
const textBlock = z.looseObject({ type: z.literal('text'), text: z.string(), cache_control: cacheControl });

const mediaSource = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
  z.looseObject({ type: z.literal('url'), url: z.string() }),
  z.looseObject({ type: z.literal('text'), media_type: z.string().optional(), data: z.string() }),
]);

const imageBlock = z.looseObject({ type: z.literal('image'), source: mediaSource });
const documentBlock = z.looseObject({ type: z.literal('document'), source: mediaSource });

const toolResultBlock = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock, documentBlock]))]).optional(),
  is_error: z.boolean().optional(),
});

/** The block types Sluice can translate; others pass through to Anthropic targets only. */
export const knownBlockSchema = z.discriminatedUnion('type', [
  textBlock,
  imageBlock,
  documentBlock,
  z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() }),
  toolResultBlock,
  z.looseObject({ type: z.literal('thinking'), thinking: z.string() }),
  z.looseObject({ type: z.literal('redacted_thinking') }),
]);

export type AnthropicIngressBlock = z.output<typeof knownBlockSchema>;

export const KNOWN_BLOCK_TYPES: ReadonlySet<string> = new Set(['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking']);

/** Any block with a type: known ones are checked while translating, unknown ones pass to Anthropic. */
const anyBlock = z.looseObject({ type: z.string().min(1) });

export type AnthropicRawBlock = z.output<typeof anyBlock>;

const message = z.looseObject({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(anyBlock).max(WIRE_LIMITS.contentParts)]),
});

const tool = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  type: z.string().optional(),
});

const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('tool'), name: z.string(), disable_parallel_tool_use: z.boolean().optional() }),
  z.looseObject({ type: z.literal('none') }),
]);

export const messagesRequestSchema = z.looseObject({
  model: modelIdSchema,
  max_tokens: z.int().positive(),
  messages: z.array(message).min(1, 'messages must contain at least one message').max(WIRE_LIMITS.messages),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  tools: z.array(tool).max(WIRE_LIMITS.tools).optional(),
  tool_choice: toolChoice.optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.int().min(0).optional(),
  metadata: z.looseObject({ user_id: endUserSchema.nullish() }).optional(),
  output_config: z.looseObject({
    format: z.looseObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).nullish(),
  }).optional(),
});

export type MessagesRequest = z.output<typeof messagesRequestSchema>;

/** POST /v1/messages/count_tokens: a Messages body without the output cap. */
export const countTokensRequestSchema = messagesRequestSchema.extend({ max_tokens: z.int().positive().optional() });

export type CountTokensRequest = z.output<typeof countTokensRequestSchema>;
