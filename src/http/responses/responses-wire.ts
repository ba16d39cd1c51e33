import { z } from 'zod';
import { WIRE_LIMITS, endUserSchema, modelIdSchema } from '../wire-limits.js';

/**
 * The OpenAI Responses API bodies Sluice accepts on POST /v1/responses (openai 6.x
 * `ResponseCreateParams`). Objects are loose so new optional fields do not break clients; the
 * fields Sluice reads are checked here, and the ones it cannot honour are refused while
 * translating, each naming its parameter.
 */

const inputText = z.looseObject({ type: z.literal('input_text'), text: z.string() });
const inputImage = z.looseObject({
  type: z.literal('input_image'),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.string().nullish(),
});
const inputFile = z.looseObject({
  type: z.literal('input_file'),
  file_data: z.string().nullish(),
  file_id: z.string().nullish(),
  file_url: z.string().nullish(),
  filename: z.string().nullish(),
});
const outputText = z.looseObject({ type: z.literal('output_text'), text: z.string() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });

export const contentPartSchema = z.discriminatedUnion('type', [inputText, inputImage, inputFile, outputText, refusal]);
export type ResponsesContentPart = z.output<typeof contentPartSchema>;

const messageItem = z.looseObject({
  type: z.literal('message').optional(),
  id: z.string().optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(contentPartSchema).max(WIRE_LIMITS.contentParts)]),
  status: z.string().optional(),
});

const functionCallItem = z.looseObject({
  type: z.literal('function_call'),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  status: z.string().optional(),
});

const functionCallOutputItem = z.looseObject({
  type: z.literal('function_call_output'),
  id: z.string().nullish(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(contentPartSchema)]),
  status: z.string().nullish(),
});

const reasoningItem = z.looseObject({
  type: z.literal('reasoning'),
  id: z.string().optional(),
  summary: z.array(z.looseObject({ type: z.string(), text: z.string() })).default([]),
  encrypted_content: z.string().nullish(),
});

export type ResponsesInputItem = z.output<typeof inputItemSchema>;

/** One item of `input` Sluice can translate (other item types are refused naming their index). */
export const inputItemSchema = z.union([
  functionCallItem, functionCallOutputItem, reasoningItem, messageItem,
]);

/** The schema for an item of this type (a message may omit its type), so errors name the field. */
export const INPUT_ITEM_SCHEMAS: ReadonlyMap<string | undefined, z.ZodType<ResponsesInputItem>> = new Map<string | undefined, z.ZodType<ResponsesInputItem>>([
  ['function_call', functionCallItem], ['function_call_output', functionCallOutputItem], ['reasoning', reasoningItem],
  ['message', messageItem], [undefined, messageItem],
]);

/** Any item with a type or a role: known ones are checked while translating. */
const anyItem = z.looseObject({ type: z.string().optional(), role: z.string().optional() });

const tool = z.looseObject({
  type: z.string().min(1),
  name: z.string().optional(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), name: z.string().min(1) }),
  z.looseObject({
    type: z.literal('allowed_tools'),
    mode: z.enum(['auto', 'required']),
    tools: z.array(z.looseObject({ type: z.string(), name: z.string().optional() })),
  }),
  z.looseObject({ type: z.string().min(1) }),
]);

const textFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    name: z.string().min(1),
    schema: z.record(z.string(), z.unknown()),
    description: z.string().nullish(),
    strict: z.boolean().nullish(),
  }),
]);

export const responsesRequestSchema = z.looseObject({
  model: modelIdSchema,
  input: z.union([z.string(), z.array(anyItem).max(WIRE_LIMITS.messages)]).optional(),
  instructions: z.string().nullish(),
  tools: z.array(tool).max(WIRE_LIMITS.tools).optional(),
  tool_choice: toolChoice.optional(),
  parallel_tool_calls: z.boolean().nullish(),
  text: z.looseObject({ format: textFormat.nullish(), verbosity: z.string().nullish() }).nullish(),
  max_output_tokens: z.int().positive().nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish(), summary: z.string().nullish() }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: endUserSchema.nullish(),
  safety_identifier: endUserSchema.nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  background: z.boolean().nullish(),
  conversation: z.unknown().optional(),
  prompt: z.unknown().optional(),
  include: z.array(z.string()).nullish(),
  truncation: z.enum(['auto', 'disabled']).nullish(),
});

export type ResponsesRequest = z.output<typeof responsesRequestSchema>;

/** An output item as Sluice emits and stores it. */
export type ResponseOutputItem =
  | {
    type: 'message';
    id: string;
    status: 'completed' | 'incomplete' | 'in_progress';
    role: 'assistant';
    content: Array<{ type: 'output_text'; text: string; annotations: unknown[]; logprobs: unknown[] } | { type: 'refusal'; refusal: string }>;
  }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: 'completed' | 'incomplete' | 'in_progress' }
  /** The model's reasoning as its provider reports it (Anthropic thinking, Gemini thoughts), as a summary. */
  | { type: 'reasoning'; id: string; summary: Array<{ type: 'summary_text'; text: string }> };

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The Response object (`object: "response"`), as returned, streamed and stored. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: 'completed' | 'incomplete' | 'failed' | 'in_progress';
  background: boolean;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  model: string;
  output: ResponseOutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number;
  truncation: 'auto' | 'disabled';
  usage: ResponseUsage | null;
  user: string | null;
  safety_identifier?: string | undefined;
}
