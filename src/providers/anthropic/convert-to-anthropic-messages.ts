import { GatewayError, messageTexts } from '../../core/index.js';
import type { ChatMessage, ChatRequest, ContentPart, Tool, ToolChoice } from '../../core/index.js';
import type {
  AnthropicContentBlock, AnthropicImageSource, AnthropicMessageParam, AnthropicRequestBody, AnthropicTextBlock,
  AnthropicTool, AnthropicToolChoice,
} from './anthropic-api.js';

/** The API version that removed temperature, top_p and top_k and added output_config.format. */
export const ANTHROPIC_VERSION_2026 = '2026-10-21';

/** True for 2026-10-21 and later versions (ISO dates compare as strings). */
export function isAnthropicVersion2026(version: string): boolean {
  return version >= ANTHROPIC_VERSION_2026;
}

/** The tool Sluice forces for JSON mode when the API version has no native structured output. */
export const JSON_TOOL_NAME = 'sluice_json_output';

export interface AnthropicConversionOptions {
  /** The `anthropic-version` Sluice sends upstream. */
  version: string;
  /** max_tokens when the client sent none; null picks a model-aware default. */
  defaultMaxTokens: number | null;
}

export interface AnthropicConversion {
  body: AnthropicRequestBody;
  /** Set when JSON mode runs through a forced tool whose input becomes the answer's text. */
  jsonTool: string | null;
}

/** A model-aware max_tokens default: Claude 3 (not 3.5/3.7) models stop at 4096 output tokens. */
export function defaultAnthropicMaxTokens(model: string): number {
  if (/^claude-3-(opus|sonnet|haiku)/.test(model)) return 4096;
  return 8192;
}

/** OpenAI chat request → Anthropic Messages body. */
export function convertToAnthropicMessages(request: ChatRequest, options: AnthropicConversionOptions): AnthropicConversion {
  rejectUnsupported(request);
  const system: AnthropicTextBlock[] = [];
  const messages: AnthropicMessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicContentBlock[]): void => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  request.messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const text of messageTexts(message, param)) if (text !== '') system.push({ type: 'text', text });
        return;
      case 'user':
        push('user', userBlocks(message, param));
        return;
      case 'assistant':
        push('assistant', assistantBlocks(message, param));
        return;
      case 'tool': {
        if (message.tool_call_id === undefined) {
          throw new GatewayError('invalid_request', 'A tool message needs tool_call_id.', { param: `${param}.tool_call_id` });
        }
        const texts = messageTexts(message, param);
        push('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id, content: texts.join('') }]);
        return;
      }
      case 'function':
        throw new GatewayError('invalid_request', 'The deprecated "function" role is not supported for Anthropic models; use "tool".', {
          param: `${param}.role`,
        });
    }
  });

  const model = request.model;
  const cap = request.max_completion_tokens ?? request.max_tokens ?? null;
  const defaultMaxTokens = options.defaultMaxTokens ?? defaultAnthropicMaxTokens(model);
  const thinking = thinkingFor(request, cap, defaultMaxTokens);
  const body: AnthropicRequestBody = {
    model,
    max_tokens: thinking?.maxTokens ?? cap ?? defaultMaxTokens,
    messages,
  };
  if (thinking !== null) body.thinking = { type: 'enabled', budget_tokens: thinking.budget };
  if (system.length > 0) body.system = system;
  const stop = request.stop === null || request.stop === undefined ? [] : typeof request.stop === 'string' ? [request.stop] : request.stop;
  // Anthropic refuses whitespace-only stop sequences.
  const stopSequences = stop.filter((sequence) => sequence.trim() !== '');
  if (stopSequences.length > 0) body.stop_sequences = stopSequences;
  if (!isAnthropicVersion2026(options.version)) {
    // Anthropic's range is 0–1 where OpenAI's is 0–2.
    if (typeof request.temperature === 'number') body.temperature = Math.min(1, request.temperature);
    if (typeof request.top_p === 'number') body.top_p = request.top_p;
  }
  if (typeof request.user === 'string' && request.user !== '') body.metadata = { user_id: request.user };

  const tools = allowedTools(request).map(convertTool);
  const toolChoice = convertToolChoice(request.tool_choice, request.parallel_tool_calls);
  let jsonTool: string | null = null;
  const format = request.response_format;
  if (format !== null && format !== undefined && format.type !== 'text') {
    const schema = format.type === 'json_schema' ? (format.json_schema.schema ?? { type: 'object' }) : { type: 'object' };
    if (isAnthropicVersion2026(options.version)) {
      body.output_config = { format: { type: 'json_schema', schema } };
    } else {
      // 2023-06-01 has no structured output: force a tool whose input is the JSON answer.
      // Anthropic refuses a forced tool while thinking, so the two cannot be combined.
      if (thinking !== null) {
        throw new GatewayError('invalid_request', 'JSON output and reasoning effort cannot be combined for Anthropic models on API version 2023-06-01.', { param: 'reasoning_effort' });
      }
      jsonTool = JSON_TOOL_NAME;
      tools.push({ name: JSON_TOOL_NAME, description: 'Respond with the answer as this tool\'s input.', input_schema: schema });
      body.tools = tools;
      body.tool_choice = { type: 'tool', name: JSON_TOOL_NAME };
      return { body, jsonTool };
    }
  }
  // Without tools a tool_choice means nothing, and Anthropic would refuse it.
  if (tools.length > 0) {
    body.tools = tools;
    if (toolChoice !== undefined) body.tool_choice = toolChoice;
  }
  return { body, jsonTool };
}

/**
 * `reasoning_effort` → Anthropic extended thinking with a token budget (Anthropic's minimum is
 * 1024). `none` turns thinking off, as it does on OpenAI.
 */
export const ANTHROPIC_THINKING_BUDGETS: Readonly<Record<string, number | null>> = {
  none: null, minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768, max: 32768,
};
const MIN_THINKING_BUDGET = 1024;

/**
 * The thinking budget and max_tokens for a request with `reasoning_effort`. Anthropic counts
 * thinking inside max_tokens and requires max_tokens > budget_tokens. OpenAI's cap counts
 * reasoning too, so a client cap stays the cap and the budget shrinks to fit under it (never
 * below Anthropic's minimum, where max_tokens is raised just past it); with no client cap,
 * the answer keeps the default room on top of the budget.
 */
function thinkingFor(request: ChatRequest, cap: number | null, defaultMaxTokens: number): { budget: number; maxTokens: number } | null {
  const effort = request.reasoning_effort;
  if (effort === undefined || effort === null) return null;
  const budget = ANTHROPIC_THINKING_BUDGETS[effort];
  if (budget === undefined) {
    throw new GatewayError('invalid_request', `Unknown reasoning effort "${effort}"; use one of ${Object.keys(ANTHROPIC_THINKING_BUDGETS).join(', ')}.`, {
      param: 'reasoning_effort',
    });
  }
  if (budget === null) return null;
  if (typeof request.temperature === 'number' && request.temperature !== 1) {
    throw new GatewayError('invalid_request', 'Anthropic models accept only temperature 1 while reasoning; drop temperature or reasoning effort.', { param: 'temperature' });
  }
  const choice = request.tool_choice;
  if (choice === 'required' || (typeof choice === 'object' && choice.type === 'function')) {
    throw new GatewayError('invalid_request', 'Anthropic models cannot be forced to call a tool while reasoning; use tool_choice auto or drop reasoning effort.', { param: 'tool_choice' });
  }
  if (cap === null) return { budget, maxTokens: budget + defaultMaxTokens };
  const fitted = Math.max(MIN_THINKING_BUDGET, Math.min(budget, cap - 1));
  return { budget: fitted, maxTokens: Math.max(cap, fitted + 1) };
}

function rejectUnsupported(request: ChatRequest): void {
  if (typeof request.n === 'number' && request.n > 1) {
    throw new GatewayError('invalid_request', 'Anthropic models return one choice; n > 1 is not supported.', { param: 'n' });
  }
  if (request.logprobs === true) {
    throw new GatewayError('invalid_request', 'Anthropic models do not return logprobs.', { param: 'logprobs' });
  }
  for (const field of ['presence_penalty', 'frequency_penalty'] as const) {
    const value = request[field];
    if (typeof value === 'number' && value !== 0) {
      throw new GatewayError('invalid_request', `Anthropic models do not support ${field}.`, { param: field });
    }
  }
  (request.tools ?? []).forEach((tool, index) => {
    if (tool.type !== 'function') {
      throw new GatewayError('invalid_request', 'Only function tools are supported for Anthropic models.', { param: `tools[${index}]` });
    }
  });
}

function userBlocks(message: ChatMessage, param: string): AnthropicContentBlock[] {
  const content = message.content;
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content.flatMap((part, index) => convertPart(part, `${param}.content[${index}]`));
}

function convertPart(part: ContentPart, param: string): AnthropicContentBlock[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ type: 'text', text: part.text }];
    case 'refusal':
      return [{ type: 'text', text: part.refusal }];
    case 'image_url': {
      const source = sourceOf(part.image_url.url, param);
      return [source.type === 'base64' && source.media_type === 'application/pdf' ? { type: 'document', source } : { type: 'image', source }];
    }
    case 'file': {
      const data = part.file.file_data;
      if (data === undefined) {
        throw new GatewayError('invalid_request', 'Anthropic models need files inline as file_data; file_id is not supported.', { param });
      }
      const source = sourceOf(data.startsWith('data:') ? data : `data:application/pdf;base64,${data}`, param);
      return [{ type: 'document', source }];
    }
    case 'input_audio':
      throw new GatewayError('invalid_request', 'Anthropic models do not accept audio input.', { param });
  }
}

function sourceOf(url: string, param: string): AnthropicImageSource {
  const data = parseDataUrl(url);
  if (data !== null) return { type: 'base64', media_type: data.mimeType, data: data.data };
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  throw new GatewayError('invalid_request', 'An image must be an http(s) URL or a base64 data URL.', { param });
}

export function parseDataUrl(url: string): { mimeType: string; data: string } | null {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { mimeType: match[1], data: match[2] };
}

function assistantBlocks(message: ChatMessage, param: string): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  for (const text of messageTexts(message, param)) if (text !== '') blocks.push({ type: 'text', text });
  (message.tool_calls ?? []).forEach((call, index) => {
    blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments, `${param}.tool_calls[${index}].function.arguments`) });
  });
  return blocks;
}

function parseArguments(text: string, param: string): unknown {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new GatewayError('invalid_request', 'Tool call arguments must be a JSON object.', { param });
}

/** `tool_choice: {type: "allowed_tools"}` narrows the tools the model may call. */
function allowedTools(request: ChatRequest): Tool[] {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (choice === undefined || typeof choice === 'string' || choice.type !== 'allowed_tools') return tools;
  const names = new Set<string>();
  for (const item of choice.allowed_tools.tools) {
    if (item !== null && typeof item === 'object' && 'function' in item) {
      const fn: unknown = item.function;
      if (fn !== null && typeof fn === 'object' && 'name' in fn && typeof fn.name === 'string') names.add(fn.name);
    }
  }
  return tools.filter((tool) => tool.type === 'function' && names.has(tool.function.name));
}

function convertTool(tool: Tool): AnthropicTool {
  if (tool.type !== 'function') throw new Error('unreachable: custom tools are rejected before conversion');
  const result: AnthropicTool = {
    name: tool.function.name,
    input_schema: tool.function.parameters ?? { type: 'object', properties: {} },
  };
  if (tool.function.description !== undefined) result.description = tool.function.description;
  return result;
}

function convertToolChoice(choice: ToolChoice | undefined, parallel: boolean | null | undefined): AnthropicToolChoice | undefined {
  const disable = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: 'auto', ...disable } : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...disable };
  if (choice === 'required') return { type: 'any', ...disable };
  switch (choice.type) {
    case 'function':
      return { type: 'tool', name: choice.function.name, ...disable };
    case 'allowed_tools':
      return { type: choice.allowed_tools.mode === 'required' ? 'any' : 'auto', ...disable };
    case 'custom':
      throw new GatewayError('invalid_request', 'Custom tools are not supported for Anthropic models.', { param: 'tool_choice' });
  }
}
