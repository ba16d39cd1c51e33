import { GatewayError } from '../../core/index.js';
import type { ChatMessage, ChatRequest, ContentPart, Tool, ToolChoice } from '../../core/index.js';
import type { AnthropicIngressBlock, MessagesRequest } from './messages-wire.js';

/**
 * Anthropic Messages request → the core ChatRequest (OpenAI shape), so any provider can answer it.
 * Thinking blocks and `thinking` are left out (no OpenAI field); `top_k` has no counterpart.
 */
export function convertFromAnthropicRequest(request: MessagesRequest): ChatRequest {
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
    if (message.role === 'assistant') {
      messages.push(assistantMessage(message.content, param));
      return;
    }
    const parts: ContentPart[] = [];
    message.content.forEach((block, blockIndex) => {
      const blockParam = `${param}[${blockIndex}]`;
      if (block.type === 'tool_result') {
        messages.push({ role: 'tool', tool_call_id: block.tool_use_id, content: toolResultText(block.content, blockParam, block.is_error === true) });
      } else {
        const part = userPart(block, blockParam);
        if (part !== null) parts.push(part);
      }
    });
    if (parts.length > 0) {
      if (message.role === 'system') {
        messages.push({ role: 'system', content: parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n') });
      } else {
        messages.push({ role: 'user', content: parts });
      }
    }
  });

  const chat: ChatRequest = { model: request.model, messages, max_tokens: request.max_tokens };
  if (request.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  if (request.stop_sequences !== undefined && request.stop_sequences.length > 0) chat.stop = request.stop_sequences;
  if (request.temperature !== undefined) chat.temperature = request.temperature;
  if (request.top_p !== undefined) chat.top_p = request.top_p;
  const userId = request.metadata?.user_id;
  if (typeof userId === 'string' && userId !== '') chat.user = userId;
  if (request.tools !== undefined && request.tools.length > 0) {
    chat.tools = request.tools.map((tool, index): Tool => {
      if (tool.type !== undefined && tool.type !== 'custom') {
        throw new GatewayError('invalid_request', `The server tool "${tool.type}" is only available on Anthropic models.`, { param: `tools[${index}]` });
      }
      return {
        type: 'function',
        function: {
          name: tool.name,
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          parameters: tool.input_schema ?? { type: 'object', properties: {} },
        },
      };
    });
  }
  const choice = request.tool_choice;
  if (choice !== undefined) {
    chat.tool_choice = convertToolChoice(choice);
    if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use === true) chat.parallel_tool_calls = false;
  }
  const format = request.output_config?.format;
  if (format !== undefined && format !== null) {
    chat.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  }
  return chat;
}

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

function assistantMessage(blocks: AnthropicIngressBlock[], param: string): ChatMessage {
  let text = '';
  const toolCalls: NonNullable<ChatMessage['tool_calls']> = [];
  blocks.forEach((block, index) => {
    switch (block.type) {
      case 'text':
        text += block.text;
        return;
      case 'tool_use':
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        return;
      case 'thinking':
      case 'redacted_thinking':
        return;
      default:
        throw new GatewayError('invalid_request', `An assistant message cannot hold a ${block.type} block.`, { param: `${param}[${index}].type` });
    }
  });
  return { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) };
}

function userPart(block: AnthropicIngressBlock, param: string): ContentPart | null {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
      if (block.source.type === 'base64') return { type: 'image_url', image_url: { url: `data:${block.source.media_type};base64,${block.source.data}` } };
      if (block.source.type === 'url') return { type: 'image_url', image_url: { url: block.source.url } };
      throw new GatewayError('invalid_request', 'An image source must be base64 or url.', { param: `${param}.source.type` });
    case 'document':
      if (block.source.type === 'base64') return { type: 'file', file: { file_data: `data:${block.source.media_type};base64,${block.source.data}` } };
      if (block.source.type === 'text') return { type: 'text', text: block.source.data };
      throw new GatewayError('invalid_request', 'Only base64 and text documents can go to non-Anthropic models.', { param: `${param}.source.type` });
    case 'thinking':
    case 'redacted_thinking':
      return null;
    case 'tool_use':
    case 'tool_result':
      throw new GatewayError('invalid_request', `A user message cannot hold a ${block.type} block here.`, { param: `${param}.type` });
  }
}

function toolResultText(content: string | Array<{ type: string; text?: unknown }> | undefined, param: string, isError: boolean): string {
  let text: string;
  if (content === undefined) text = '';
  else if (typeof content === 'string') text = content;
  else {
    text = content.map((block, index) => {
      if (block.type === 'text' && typeof block.text === 'string') return block.text;
      throw new GatewayError('invalid_request', 'Tool results can only hold text for non-Anthropic models.', { param: `${param}.content[${index}]` });
    }).join('');
  }
  return isError ? `Error: ${text}` : text;
}
