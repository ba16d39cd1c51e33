/**
 * The canonical chat format inside Sluice is OpenAI Chat Completions, in its wire shape
 * (snake_case). Requests and chunks from OpenAI-compatible upstreams then pass through without
 * conversion; other vendors translate to and from it in their adapters.
 */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: string | undefined };
}

export interface AudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: string };
}

export interface FilePart {
  type: 'file';
  file: { file_data?: string | undefined; file_id?: string | undefined; filename?: string | undefined };
}

export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

export type ContentPart = TextPart | ImagePart | AudioPart | FilePart | RefusalPart;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: ChatRole;
  content?: string | ContentPart[] | null | undefined;
  name?: string | undefined;
  tool_calls?: ToolCall[] | undefined;
  tool_call_id?: string | undefined;
  refusal?: string | null | undefined;
}

export interface FunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string | undefined;
    parameters?: Record<string, unknown> | undefined;
    strict?: boolean | null | undefined;
  };
}

export interface CustomTool {
  type: 'custom';
  custom: { name: string; description?: string | undefined };
}

export type Tool = FunctionTool | CustomTool;

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'allowed_tools'; allowed_tools: { mode: 'auto' | 'required'; tools: unknown[] } }
  | { type: 'custom'; custom: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: {
        name: string;
        description?: string | undefined;
        schema?: Record<string, unknown> | undefined;
        strict?: boolean | null | undefined;
      };
    };

/** Fields Sluice reads; any other field the client sent is kept and passed to OpenAI-compatible upstreams. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null | undefined;
  stream_options?: { include_usage?: boolean | null | undefined } | null | undefined;
  max_tokens?: number | null | undefined;
  max_completion_tokens?: number | null | undefined;
  temperature?: number | null | undefined;
  top_p?: number | null | undefined;
  n?: number | null | undefined;
  stop?: string | string[] | null | undefined;
  tools?: Tool[] | undefined;
  tool_choice?: ToolChoice | undefined;
  parallel_tool_calls?: boolean | null | undefined;
  response_format?: ResponseFormat | null | undefined;
  user?: string | null | undefined;
  seed?: number | null | undefined;
  presence_penalty?: number | null | undefined;
  frequency_penalty?: number | null | undefined;
  logprobs?: boolean | null | undefined;
  /** `low` … `high` for reasoning models; OpenAI-compatible upstreams receive it as sent. */
  reasoning_effort?: string | null | undefined;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

/** Token usage as OpenAI reports it. */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  /**
   * The model's reasoning text, as DeepSeek, vLLM and OpenRouter name it; Anthropic thinking and
   * Gemini thought parts translate to it. OpenAI itself never sends it on chat completions.
   */
  reasoning_content?: string | undefined;
  refusal?: string | null;
  tool_calls?: ToolCall[];
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: ChatCompletionMessage;
    finish_reason: FinishReason | null;
    logprobs: unknown;
  }>;
  usage?: WireUsage | null;
  system_fingerprint?: string | null;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string | null;
      /** A piece of reasoning text (see ChatCompletionMessage.reasoning_content). */
      reasoning_content?: string | undefined;
      refusal?: string | null;
      tool_calls?: ToolCallDelta[];
    };
    finish_reason: FinishReason | null;
    logprobs?: unknown;
  }>;
  usage?: WireUsage | null;
}
