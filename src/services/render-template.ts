/** A chat message of a service's template. */
export interface TemplateMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

/**
 * Fills `{{field}}` and `{{field.sub}}` from the input: strings as they are, anything else as
 * JSON; `{{input}}` is the whole input as JSON; a missing field is empty. No HTML escaping: the
 * text goes to a model, not a browser.
 */
export function renderServiceTemplate(messages: readonly TemplateMessage[], input: unknown): TemplateMessage[] {
  return messages.map((message) => ({ role: message.role, content: message.content.replace(PLACEHOLDER, (_match, path: string) => lookup(input, path)) }));
}

function lookup(input: unknown, path: string): string {
  if (path === 'input') return JSON.stringify(input);
  let value: unknown = input;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return '';
    value = (value as Record<string, unknown>)[segment];
  }
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
