import { GatewayError } from '../../core/index.js';
import type { ChatMessage, ChatRequest, ContentPart, Tool, ToolChoice } from '../../core/index.js';
import { KNOWN_BLOCK_TYPES, knownBlockSchema } from './messages-wire.js';
import type { AnthropicIngressBlock, AnthropicRawBlock, MessagesRequest } from './messages-wire.js';

export interface AnthropicTranslation {
  request: ChatRequest;
  /**
   * The first part of the body with no faithful OpenAI form (a server tool, an unknown block
   * type, a URL document): only an Anthropic target can serve the request. Malformed known
   * parts are thrown at once instead, since no target would take them.
   */
  untranslatable: GatewayError | null;
}

/**
 * Anthropic Messages request → the core ChatRequest (OpenAI shape), so any provider can answer it.
 * Thinking blocks and `thinking` are left out (no OpenAI field); `top_k` has no counterpart.
 */
export function convertFromAnthropicRequest(request: MessagesRequest): AnthropicTranslation {
  let untranslatable: GatewayError | null = null;
  const note = (param: string, message: string): void => {
    untranslatable ??= new GatewayError('invalid_request', `${message} Only Anthropic models can serve this request.`, { param });
  };
  const readBlock = (raw: AnthropicRawBlock, param: string): AnthropicIngressBlock | null => {
    const parsed = knownBlockSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    if (KNOWN_BLOCK_TYPES.has(raw.type)) {
      const issue = parsed.error.issues[0];
      const path = issue === undefined ? '' : issue.path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('');
      throw new GatewayError('invalid_request', `Invalid ${raw.type} block: ${issue?.message ?? 'invalid'}.`, { param: `${param}${path}` });
    }
    note(`${param}.type`, `"${raw.type}" blocks have no equivalent outside Anthropic.`);
    return null;
  };

  for (const field of Object.keys(request)) {
    if (!TRANSLATED_FIELDS.has(field) && !DROPPED_FIELDS.has(field)) {
      note(field, `The field "${field}" has no equivalent outside Anthropic.`);
    }
  }

  const messages: ChatMessage[] = [];
  if (request.system !== undefined) {
    const text = typeof request.system === 'string' ? request.system : request.system.map((block) => block.text).join('\n');
    if (text !== '') messages.push({ role: 'system', content: text });
  }
  request.messages.forEach((message, index) => {
    const param = `messages[${index}].content`;
    if (typeof message.content === 'string') {
      messages.push({ role: message.role, content: message.content });
      return;
    }
    const blocks: Array<{ block: AnthropicIngressBlock; param: string }> = [];
    message.content.forEach((raw, blockIndex) => {
      const block = readBlock(raw, `${param}[${blockIndex}]`);
      if (block !== null) blocks.push({ block, param: `${param}[${blockIndex}]` });
    });
    if (message.role === 'assistant') {
      messages.push(assistantMessage(blocks, note));
      return;
    }
    const parts: ContentPart[] = [];
    for (const { block, param: blockParam } of blocks) {
      if (block.type === 'tool_result') {
        messages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: toolResultText(block, blockParam, note) });
      } else {
        const part = userPart(block, blockParam, note);
        if (part !== null) parts.push(part);
      }
    }
    if (parts.length > 0) {
      if (message.role === 'system') {
        messages.push({ role: 'system', content: parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n') });
      } else {
        messages.push({ role: 'user', content: parts });
      }
    }
  });

  // max_completion_tokens: GPT-5 and o-series models refuse max_tokens; an OpenAI-compatible
  // provider set to `max_tokens_field: max_tokens` renames it for servers that only know that.
  const chat: ChatRequest = { model: request.model, messages, max_completion_tokens: request.max_tokens };
  if (request.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  if (request.stop_sequences !== undefined && request.stop_sequences.length > 0) chat.stop = request.stop_sequences;
  if (request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== undefined) chat.top_p = request.top_p;
  const userId = request.metadata?.user_id;
  if (typeof userId === 'string' && userId !== '') chat.user = userId;
  const tools: Tool[] = [];
  (request.tools ?? []).forEach((tool, index) => {
    if (tool.type !== undefined && tool.type !== 'custom') {
      note(`tools[${index}]`, `The server tool "${tool.type}" has no equivalent outside Anthropic.`);
      return;
    }
    tools.push({
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined ? { description: tool.description } : {}),
        parameters: tool.input_schema ?? { type: 'object', properties: {} },
      },
    });
  });
  if (tools.length > 0) chat.tools = tools;
  const choice = request.tool_choice;
  if (choice !== undefined) {
    chat.tool_choice = convertToolChoice(choice);
    if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
  }
  const format = request.output_config?.format;
  if (format !== undefined && format !== null) {
    chat.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  }
  return { request: chat, untranslatable };
}

type Note = (param: string, message: string) => void;

/** Fields with an OpenAI counterpart. */
const TRANSLATED_FIELDS: ReadonlySet<string> = new Set([
  'model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'stream', 'tools', 'tool_choice', 'temperature', 'top_p',
  'metadata', 'output_config',
]);

/**
 * Fields that only tune how an Anthropic model works and can be left out for another model
 * without changing what the request asks (documented in docs/anthropic-messages-api.md). Any other field
 * (`thread`, `container`, `mcp_servers`, …) makes the request Anthropic-only: never a silent drop.
 */
const DROPPED_FIELDS: ReadonlySet<string> = new Set(['thinking', 'top_k', 'service_tier', 'cache_control']);

function convertToolChoice(choice: NonNullable<MessagesRequest['tool_choice']>): ToolChoice {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'function', function: { name: choice.name } };
  }
}

function assistantMessage(blocks: Array<{ block: AnthropicIngressBlock; param: string }>, note: Note): ChatMessage {
  let text = '';
  const toolCalls: NonNullable<ChatMessage['tool_calls']> = [];
  for (const { block, param } of blocks) {
    switch (block.type) {
      case 'text':
        text += block.text;
        break;
      case 'tool_use':
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        break;
      case 'thinking':
      case 'redacted_thinking':
        break;
      default:
        note(`${param}.type`, `An assistant ${block.type} block has no equivalent outside Anthropic.`);
    }
  }
  return { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
}

function userPart(block: AnthropicIngressBlock, param: string, note: Note): ContentPart | null {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      if (block.source.type === 'base64') return { type: 'image_url', image_url: { url: `data:${block.source.media_type};base64,${block.source.data}` } };
      if (block.source.type === 'url') return { type: 'image_url', image_url: { url: block.source.url } };
      note(`${param}.source.type`, 'Text sources are not images.');
      return null;
    case 'document':
      if (block.source.type === 'base64') return { type: 'file', file: { file_data: `data:${block.source.media_type};base64,${block.source.data}` } };
      if (block.source.type === 'text') return { type: 'text', text: block.source.data };
      note(`${param}.source.type`, 'URL documents have no equivalent outside Anthropic.');
      return null;
    case 'thinking':
    case 'redacted_thinking':
      return null;
    case 'tool_use':
    case 'tool_result':
      throw new GatewayError('invalid_request', `A user message cannot hold a ${block.type} block here.`, { param: `${param}.type` });
  }
}

function toolResultText(block: Extract<AnthropicIngressBlock, { type: 'tool_result' }>, param: string, note: Note): string {
  const content = block.content;
  let text = '';
  if (typeof content === 'string') text = content;
  else if (content !== undefined) {
    content.forEach((part, index) => {
      if (part.type === 'text') text += part.text;
      else note(`${param}.content[${index}]`, 'Tool results with images or documents have no equivalent outside Anthropic.');
    });
  }
  return block.is_error === true ? `Error: ${text}` : text;
}
