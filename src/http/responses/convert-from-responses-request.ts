import { GatewayError } from '../../core/index.js';
import type { ChatMessage, ChatRequest, ContentPart, Tool, ToolCall, ToolChoice } from '../../core/index.js';
import { INPUT_ITEM_SCHEMAS } from './responses-wire.js';
import type { ResponsesContentPart, ResponsesInputItem, ResponsesRequest } from './responses-wire.js';

/** Mints item ids (`msg_…`, `fc_…`); injected so fixtures are stable. */
export type IdSource = (prefix: string) => string;

export interface ResponsesTranslation {
  request: ChatRequest;
  /** This request's own input, normalised (every item typed and given an id), as stored and listed. */
  inputItems: ResponsesInputItem[];
}

/**
 * Built-in tools run on OpenAI's servers; Sluice cannot run them for another provider, so it
 * refuses them rather than letting the model answer without them.
 */
const BUILT_IN_TOOL_HINT = 'is a built-in OpenAI tool that Sluice cannot run; only function tools are supported.';

/**
 * Responses request → the core ChatRequest (OpenAI Chat shape), so any provider can answer it.
 * `history` is the context rebuilt from `previous_response_id` (earlier inputs and outputs, in
 * order); `instructions` apply to this request only, as on OpenAI. Reasoning items are dropped:
 * the core format has no place for them.
 */
export function convertFromResponsesRequest(
  request: ResponsesRequest,
  history: readonly ResponsesInputItem[],
  ids: IdSource,
): ResponsesTranslation {
  refuseUnsupportedFields(request);
  const inputItems = normaliseInput(request.input, ids);
  const messages: ChatMessage[] = [];
  if (request.instructions !== undefined && request.instructions !== null && request.instructions !== '') {
    messages.push({ role: 'system', content: request.instructions });
  }
  appendItems(messages, history, 'previous_response_id');
  appendItems(messages, inputItems, 'input');
  if (messages.length === 0) throw new GatewayError('invalid_request', "Missing required parameter: 'input'.", { param: 'input' });

  const chat: ChatRequest = { model: request.model, messages };
  if (request.stream === true) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  // max_completion_tokens: the field GPT-5 and o-series models accept (max_tokens is refused there).
  if (request.max_output_tokens !== undefined && request.max_output_tokens !== null) chat.max_completion_tokens = request.max_output_tokens;
  if (request.temperature !== undefined && request.temperature !== null) chat.temperature = request.temperature;
  if (request.top_p !== undefined && request.top_p !== null) chat.top_p = request.top_p;
  if (request.parallel_tool_calls !== undefined && request.parallel_tool_calls !== null) chat.parallel_tool_calls = request.parallel_tool_calls;
  const user = request.safety_identifier ?? request.user;
  if (user !== undefined && user !== null && user !== '') chat.user = user;
  const effort = request.reasoning?.effort;
  if (effort !== undefined && effort !== null) chat.reasoning_effort = effort;
  const tools = convertTools(request.tools ?? []);
  if (tools.length > 0) chat.tools = tools;
  if (request.tool_choice !== undefined) chat.tool_choice = convertToolChoice(request.tool_choice);
  const format = request.text?.format;
  if (format !== undefined && format !== null && format.type !== 'text') {
    chat.response_format = format.type === 'json_object'
      ? { type: 'json_object' }
      : {
        type: 'json_schema',
        json_schema: {
          name: format.name,
          schema: format.schema,
          ...(format.description !== undefined && format.description !== null ? { description: format.description } : {}),
          ...(format.strict !== undefined && format.strict !== null ? { strict: format.strict } : {}),
        },
      };
  }
  return { request: chat, inputItems };
}

function refuseUnsupportedFields(request: ResponsesRequest): void {
  if (request.background === true) {
    throw new GatewayError('invalid_request', 'Background responses are not supported by Sluice; send the request without `background`.', { param: 'background' });
  }
  if (request.conversation !== undefined && request.conversation !== null) {
    throw new GatewayError('invalid_request', 'Conversations are not supported by Sluice; chain responses with `previous_response_id`.', { param: 'conversation' });
  }
  if (request.prompt !== undefined && request.prompt !== null) {
    throw new GatewayError('invalid_request', 'OpenAI-hosted prompt templates are not supported by Sluice.', { param: 'prompt' });
  }
}

/** A string becomes one user message; items are checked and given ids where they have none. */
function normaliseInput(input: ResponsesRequest['input'], ids: IdSource): ResponsesInputItem[] {
  if (input === undefined) return [];
  if (typeof input === 'string') {
    return [{ type: 'message', id: ids('msg'), role: 'user', content: [{ type: 'input_text', text: input }] }];
  }
  return input.map((raw, index) => {
    const param = `input[${index}]`;
    if (raw.type === 'item_reference') {
      throw new GatewayError('invalid_request', 'Item references are not supported; use `previous_response_id` to continue a response.', { param: `${param}.type` });
    }
    const schema = INPUT_ITEM_SCHEMAS.get(raw.type);
    if (schema === undefined) {
      throw new GatewayError('invalid_request', `Input items of type "${String(raw.type)}" belong to built-in OpenAI tools that Sluice cannot run.`, { param: `${param}.type` });
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue === undefined ? '' : issue.path.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`)).join('');
      throw new GatewayError('invalid_request', `Invalid input item: ${issue?.message ?? 'invalid'}.`, { param: `${param}${path}` });
    }
    const item = parsed.data;
    switch (item.type) {
      case 'function_call':
        return { ...item, id: item.id ?? ids('fc') };
      case 'function_call_output':
        return { ...item, id: item.id ?? ids('fco') };
      case 'reasoning':
        return { ...item, id: item.id ?? ids('rs') };
      default:
        return {
          ...item,
          type: 'message',
          id: item.id ?? ids('msg'),
          content: typeof item.content === 'string'
            ? [item.role === 'assistant' ? { type: 'output_text', text: item.content } : { type: 'input_text', text: item.content }]
            : item.content,
        };
    }
  });
}

/**
 * Items → chat messages. Consecutive function calls join the assistant turn before them (one
 * assistant message with text and tool calls, as Anthropic and Gemini need it); outputs become
 * tool messages paired by call id.
 */
function appendItems(messages: ChatMessage[], items: readonly ResponsesInputItem[], paramRoot: string): void {
  items.forEach((item, index) => {
    const param = `${paramRoot}[${index}]`;
    switch (item.type) {
      case 'function_call': {
        const call: ToolCall = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
        const last = messages[messages.length - 1];
        if (last !== undefined && last.role === 'assistant') {
          last.tool_calls = [...(last.tool_calls ?? []), call];
        } else {
          messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        }
        return;
      }
      case 'function_call_output':
        messages.push({ role: 'tool', tool_call_id: item.call_id, content: toolOutputText(item.output, `${param}.output`) });
        return;
      case 'reasoning':
        return;
      default: {
        const role = item.role === 'developer' ? 'system' : item.role;
        if (typeof item.content === 'string') {
          messages.push({ role, content: item.content });
          return;
        }
        if (role === 'assistant') {
          let text = '';
          let refusal = '';
          for (const part of item.content) {
            if (part.type === 'output_text' || part.type === 'input_text') text += part.text;
            else if (part.type === 'refusal') refusal += part.refusal;
          }
          messages.push({ role: 'assistant', content: text, ...(refusal !== '' ? { refusal } : {}) });
          return;
        }
        const parts = item.content.map((part, partIndex) => convertPart(part, `${param}.content[${partIndex}]`));
        if (role === 'system') {
          messages.push({ role: 'system', content: parts.map((part) => (part.type === 'text' ? part.text : '')).join('\n') });
        } else {
          messages.push({ role: 'user', content: parts });
        }
      }
    }
  });
}

function convertPart(part: ResponsesContentPart, param: string): ContentPart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image':
      if (part.image_url === undefined || part.image_url === null) {
        throw new GatewayError('invalid_request', 'Images must be sent as a URL or a data URL; OpenAI file ids cannot reach other providers.', { param: `${param}.file_id` });
      }
      return { type: 'image_url', image_url: { url: part.image_url, ...(part.detail !== undefined && part.detail !== null ? { detail: part.detail } : {}) } };
    case 'input_file':
      if (part.file_data === undefined || part.file_data === null) {
        const field = part.file_url !== undefined && part.file_url !== null ? 'file_url' : 'file_id';
        throw new GatewayError('invalid_request', 'Files must be sent inline as `file_data`; OpenAI file ids and URLs cannot reach other providers.', { param: `${param}.${field}` });
      }
      return { type: 'file', file: { file_data: part.file_data, ...(part.filename !== undefined && part.filename !== null ? { filename: part.filename } : {}) } };
  }
}

function toolOutputText(output: string | ResponsesContentPart[], param: string): string {
  if (typeof output === 'string') return output;
  let text = '';
  output.forEach((part, index) => {
    if (part.type === 'input_text' || part.type === 'output_text') text += part.text;
    else throw new GatewayError('invalid_request', 'Function call outputs may hold text only.', { param: `${param}[${index}]` });
  });
  return text;
}

function convertTools(tools: NonNullable<ResponsesRequest['tools']>): Tool[] {
  return tools.map((tool, index) => {
    if (tool.type !== 'function') {
      throw new GatewayError('invalid_request', `The tool type "${tool.type}" ${BUILT_IN_TOOL_HINT}`, { param: `tools[${index}].type` });
    }
    if (tool.name === undefined || tool.name === '') {
      throw new GatewayError('invalid_request', "Missing required parameter: 'tools[" + index + "].name'.", { param: `tools[${index}].name` });
    }
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description !== undefined && tool.description !== null ? { description: tool.description } : {}),
        parameters: tool.parameters ?? { type: 'object', properties: {} },
        ...(tool.strict !== undefined && tool.strict !== null ? { strict: tool.strict } : {}),
      },
    };
  });
}

function convertToolChoice(choice: NonNullable<ResponsesRequest['tool_choice']>): ToolChoice {
  if (typeof choice === 'string') return choice;
  if (choice.type === 'function' && 'name' in choice && typeof choice.name === 'string') {
    return { type: 'function', function: { name: choice.name } };
  }
  if (choice.type === 'allowed_tools' && 'tools' in choice && Array.isArray(choice.tools) && 'mode' in choice) {
    const mode = choice.mode === 'required' ? 'required' : 'auto';
    const tools = choice.tools.map((tool: { type: string; name?: string | undefined }, index: number) => {
      if (tool.type !== 'function' || tool.name === undefined) {
        throw new GatewayError('invalid_request', `The tool type "${tool.type}" ${BUILT_IN_TOOL_HINT}`, { param: `tool_choice.tools[${index}]` });
      }
      return { type: 'function', function: { name: tool.name } };
    });
    return { type: 'allowed_tools', allowed_tools: { mode, tools } };
  }
  throw new GatewayError('invalid_request', `The tool choice "${choice.type}" ${BUILT_IN_TOOL_HINT}`, { param: 'tool_choice' });
}
