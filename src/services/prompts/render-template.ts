import Mustache from 'mustache';
import { GatewayError } from '../../core/index.js';
import type { PromptMessageTemplate, PromptTemplate } from '../../storage/index.js';

/** A rendered chat message (text content only). */
export interface RenderedMessage {
  role: PromptMessageTemplate['role'];
  content: string;
}

export interface RenderResult {
  /** A text template renders to one user message; a chat template to one message per template message. */
  messages: RenderedMessage[];
  /** Required variables the caller did not give. */
  missing: string[];
  /** Variables the caller gave that no tag mentions. */
  unused: string[];
}

/** What a template needs: tags outside sections are required, sections and everything inside them optional. */
interface TemplateVariables {
  required: Set<string>;
  mentioned: Set<string>;
}

const RENDER_CONFIG = {
  // Prompts are not HTML: escaping would turn `"` and `&` in JSON or code into entities.
  escape: (value: unknown): string => (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)),
};

/**
 * Checks a template when a version is written: it must parse, and partials (`{{> name}}`) are
 * refused since prompts cannot include other prompts yet. Throws invalid_request naming `param`.
 */
export function checkTemplate(template: PromptTemplate, param: string): void {
  const parts = typeof template === 'string' ? [template] : template.map((message) => message.content);
  parts.forEach((part, index) => {
    const where = typeof template === 'string' ? param : `${param}[${index}].content`;
    let tokens: unknown[];
    try {
      tokens = Mustache.parse(part);
    } catch (error) {
      throw new GatewayError('invalid_request', `The template does not parse: ${error instanceof Error ? error.message : String(error)}.`, { param: where });
    }
    if (hasPartial(tokens)) throw new GatewayError('invalid_request', 'Templates may not use partials ({{> name}}).', { param: where });
  });
}

/**
 * Renders a template with HTML escaping off and no prototype access: the variables are copied
 * into null-prototype objects, so `{{constructor}}` or `{{a.__proto__}}` render empty. Objects
 * and lists render as JSON. Nothing is thrown for missing variables; see `requireVariables`.
 */
export function renderTemplate(
  template: PromptTemplate, variables: Readonly<Record<string, unknown>>, variablesSchema: Readonly<Record<string, unknown>> | null,
): RenderResult {
  const view = toSafeView(variables);
  const parts: Array<{ role: RenderedMessage['role']; content: string }> = typeof template === 'string'
    ? [{ role: 'user', content: template }]
    : template;
  const found: TemplateVariables = { required: new Set(), mentioned: new Set() };
  const messages = parts.map((part) => {
    collectVariables(Mustache.parse(part.content), true, found);
    return { role: part.role, content: Mustache.render(part.content, view, {}, RENDER_CONFIG) };
  });
  const optional = optionalVariables(variablesSchema);
  const missing = [...found.required].filter((path) => !optional.has(firstSegment(path)) && lookup(view, path) === undefined);
  const unused = Object.keys(variables).filter((name) => !found.mentioned.has(name));
  return { messages, missing, unused };
}

/** Throws invalid_request naming the first missing variable as `${param}.${name}`. */
export function requireVariables(result: RenderResult, param: string): void {
  const first = result.missing[0];
  if (first === undefined) return;
  const others = result.missing.length > 1 ? ` (also missing: ${result.missing.slice(1).join(', ')})` : '';
  throw new GatewayError('invalid_request', `Missing prompt variable '${first}'${others}.`, { param: `${param}.${first}` });
}

function collectVariables(tokens: unknown[], topLevel: boolean, found: TemplateVariables): void {
  for (const token of tokens) {
    if (!Array.isArray(token)) continue;
    const [kind, name] = token;
    if (typeof name !== 'string') continue;
    if (kind === 'name' || kind === '&') {
      if (name === '.') continue;
      found.mentioned.add(firstSegment(name));
      if (topLevel) found.required.add(name);
    } else if (kind === '#' || kind === '^') {
      found.mentioned.add(firstSegment(name));
      const children: unknown = token[4];
      if (Array.isArray(children)) collectVariables(children, false, found);
    }
  }
}

function hasPartial(tokens: unknown[]): boolean {
  return tokens.some((token) => Array.isArray(token) && (token[0] === '>' || (Array.isArray(token[4]) && hasPartial(token[4]))));
}

/** Variables the schema lists under `properties` but not under `required`. */
function optionalVariables(schema: Readonly<Record<string, unknown>> | null): Set<string> {
  const properties = schema?.['properties'];
  if (properties === null || typeof properties !== 'object') return new Set();
  const required = schema?.['required'];
  const requiredNames = new Set(Array.isArray(required) ? required.filter((item) => typeof item === 'string') : []);
  return new Set(Object.keys(properties).filter((name) => !requiredNames.has(name)));
}

function firstSegment(path: string): string {
  const dot = path.indexOf('.');
  return dot === -1 ? path : path.slice(0, dot);
}

function lookup(view: unknown, path: string): unknown {
  let current: unknown = view;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) return undefined;
    current = Reflect.get(current, segment);
  }
  return current ?? undefined;
}

/** A deep copy in which no object or list has a prototype to walk into. */
function toSafeView(value: unknown): unknown {
  if (Array.isArray(value)) {
    const list: unknown[] = value.map(toSafeView);
    Object.setPrototypeOf(list, null);
    return list;
  }
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = Object.create(null);
    for (const [key, item] of Object.entries(value)) copy[key] = toSafeView(item);
    return copy;
  }
  return typeof value === 'function' ? undefined : value;
}
