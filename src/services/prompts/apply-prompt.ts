import { GatewayError } from '../../core/index.js';
import type { ResolvedPrompt } from './prompt-registry.js';
import { renderTemplate, requireVariables } from './render-template.js';
import type { RenderedMessage } from './render-template.js';

/** The body fields (LiteLLM's names) that ask for a registry prompt; none of them reaches the upstream. */
export const PROMPT_FIELDS = ['prompt_id', 'prompt_variables', 'prompt_version', 'prompt_label'] as const;

/** What a request asked for: a prompt by name with a label or a version, and the variables. */
export interface PromptRequest {
  name: string;
  label?: string | undefined;
  version?: number | undefined;
  variables: Record<string, unknown>;
  /** The body without the prompt fields. */
  body: Record<string, unknown>;
}

export type WireFormat = 'openai' | 'anthropic';

/**
 * Reads the prompt fields of a chat body, or the `x-sluice-prompt: name@label|name@vN` header
 * (body fields win). Returns null, without copying anything, when neither asks for a prompt.
 */
export function readPromptRequest(body: Record<string, unknown>, header: string | null): PromptRequest | null {
  const hasField = PROMPT_FIELDS.some((field) => body[field] !== undefined);
  if (!hasField && header === null) return null;
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!(PROMPT_FIELDS as readonly string[]).includes(key)) rest[key] = value;

  const variables = body['prompt_variables'] ?? {};
  if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
    throw new GatewayError('invalid_request', 'prompt_variables must be a JSON object.', { param: 'prompt_variables' });
  }
  const fromHeader = header === null ? null : parsePromptHeader(header);
  const id = body['prompt_id'];
  if (id !== undefined && (typeof id !== 'string' || id === '')) {
    throw new GatewayError('invalid_request', 'prompt_id must be a prompt name.', { param: 'prompt_id' });
  }
  const name = id ?? fromHeader?.name;
  if (name === undefined) {
    throw new GatewayError('invalid_request', 'prompt_variables, prompt_version and prompt_label need a prompt_id.', { param: 'prompt_id' });
  }
  const fromBody = id !== undefined;
  const version = fromBody ? readVersion(body['prompt_version']) : fromHeader?.version;
  const label = fromBody ? readLabel(body['prompt_label']) : fromHeader?.label;
  if (version !== undefined && label !== undefined) {
    throw new GatewayError('invalid_request', 'Give prompt_version or prompt_label, not both.', { param: 'prompt_label' });
  }
  return { name, version, label, variables: Object.fromEntries(Object.entries(variables)), body: rest };
}

/**
 * The body the upstream gets: the rendered messages first, then the client's; the version's
 * model config fills only the fields the client left unset (absent or null). Pure: the input is
 * not changed. Throws invalid_request naming a missing variable.
 */
export function applyPrompt(
  body: Readonly<Record<string, unknown>>, resolved: ResolvedPrompt, variables: Readonly<Record<string, unknown>>, format: WireFormat,
): Record<string, unknown> {
  const rendered = renderTemplate(resolved.version.template, variables, resolved.version.variables);
  requireVariables(rendered, 'prompt_variables');
  const clientMessages = Array.isArray(body['messages']) ? body['messages'] : [];
  // A text prompt is the instruction when the client brings its own messages, else the request itself.
  const messages = resolved.type === 'text' && clientMessages.length > 0
    ? rendered.messages.map((message) => ({ ...message, role: 'system' as const }))
    : rendered.messages;
  return format === 'openai'
    ? applyToOpenAI(body, messages, clientMessages, resolved.version.modelConfig)
    : applyToAnthropic(body, messages, clientMessages, resolved.version.modelConfig);
}

function applyToOpenAI(
  body: Readonly<Record<string, unknown>>, messages: RenderedMessage[], clientMessages: unknown[], modelConfig: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...body, messages: [...messages, ...clientMessages] };
  for (const [field, value] of Object.entries(modelConfig)) {
    const partner = OUTPUT_LIMIT_PAIR[field];
    if (!isUnset(body, field) || (partner !== undefined && !isUnset(body, partner))) continue;
    result[field] = value;
  }
  return result;
}

/** Either output limit set by the client stands for both. */
const OUTPUT_LIMIT_PAIR: Record<string, string> = { max_tokens: 'max_completion_tokens', max_completion_tokens: 'max_tokens' };

function applyToAnthropic(
  body: Readonly<Record<string, unknown>>, messages: RenderedMessage[], clientMessages: unknown[], modelConfig: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const system = messages.filter((message) => message.role === 'system' || message.role === 'developer').map((message) => message.content);
  const turns = messages.filter((message) => message.role === 'user' || message.role === 'assistant')
    .map((message) => ({ role: message.role, content: message.content }));
  const result: Record<string, unknown> = { ...body, messages: [...turns, ...clientMessages] };
  if (system.length > 0) {
    const text = system.join('\n\n');
    const clientSystem = body['system'];
    if (typeof clientSystem === 'string' && clientSystem !== '') result['system'] = `${text}\n\n${clientSystem}`;
    else if (Array.isArray(clientSystem)) result['system'] = [{ type: 'text', text }, ...clientSystem];
    else result['system'] = text;
  }
  // Only the settings the Messages API has an equivalent for; the rest are OpenAI-only.
  const fill = (field: string, value: unknown): void => {
    if (value !== undefined && isUnset(body, field)) result[field] = value;
  };
  fill('model', modelConfig['model']);
  fill('max_tokens', modelConfig['max_tokens'] ?? modelConfig['max_completion_tokens']);
  fill('temperature', modelConfig['temperature']);
  fill('top_p', modelConfig['top_p']);
  const stop = modelConfig['stop'];
  fill('stop_sequences', typeof stop === 'string' ? [stop] : stop);
  const tools = modelConfig['tools'];
  if (Array.isArray(tools)) fill('tools', tools.flatMap(toAnthropicTool));
  return result;
}

/** An OpenAI function tool as an Anthropic tool; other kinds have no equivalent. */
function toAnthropicTool(tool: unknown): Array<Record<string, unknown>> {
  if (tool === null || typeof tool !== 'object') return [];
  const definition: unknown = Reflect.get(tool, 'function');
  if (Reflect.get(tool, 'type') !== 'function' || definition === null || typeof definition !== 'object') return [];
  const name: unknown = Reflect.get(definition, 'name');
  if (typeof name !== 'string') return [];
  const description: unknown = Reflect.get(definition, 'description');
  const parameters: unknown = Reflect.get(definition, 'parameters');
  return [{
    name,
    ...(typeof description === 'string' ? { description } : {}),
    input_schema: parameters !== null && typeof parameters === 'object' ? parameters : { type: 'object', properties: {} },
  }];
}

function isUnset(body: Readonly<Record<string, unknown>>, field: string): boolean {
  return body[field] === undefined || body[field] === null;
}

/** `name`, `name@label` or `name@v3` (also `name@3`). */
export function parsePromptHeader(value: string): { name: string; label?: string; version?: number } {
  const at = value.lastIndexOf('@');
  const name = (at === -1 ? value : value.slice(0, at)).trim();
  if (name === '') throw new GatewayError('invalid_request', 'x-sluice-prompt must be name, name@label or name@vN.', { param: 'x-sluice-prompt' });
  if (at === -1) return { name };
  const selector = value.slice(at + 1).trim();
  const numbered = /^v?(\d+)$/.exec(selector);
  if (numbered !== null) return { name, version: Number(numbered[1]) };
  if (selector === '') throw new GatewayError('invalid_request', 'x-sluice-prompt must be name, name@label or name@vN.', { param: 'x-sluice-prompt' });
  return { name, label: selector };
}

function readVersion(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const version = typeof value === 'string' && /^v?\d+$/.test(value) ? Number(value.replace(/^v/, '')) : value;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new GatewayError('invalid_request', 'prompt_version must be a version number (1, 2, …).', { param: 'prompt_version' });
  }
  return version;
}

function readLabel(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new GatewayError('invalid_request', 'prompt_label must be a label name such as production.', { param: 'prompt_label' });
  }
  return value;
}
