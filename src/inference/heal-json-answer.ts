import type { ChatCompletion, ChatRequest, ChatResult } from '../core/index.js';
import { compileJsonSchema, extractJson } from '../services/index.js';
import type { JsonFix, JsonSchemaValidator } from '../services/index.js';

export interface HealedAnswer {
  result: ChatResult;
  /** Every fix applied, over all choices and tool calls, without repeats. */
  fixes: JsonFix[];
  /** Whether every JSON part parsed (and matched `response_format`'s schema when it has one). */
  valid: boolean;
}

/**
 * Response healing for plain chat completions (`x-sluice-json-repair: true`, or OpenRouter's
 * `plugins: [{"id": "response-healing"}]`): in a JSON-mode answer the content, and in any answer
 * the tool-call arguments, are extracted and repaired; the content is checked against the
 * request's `json_schema`. The upstream bytes pass through untouched unless something changed.
 * A cut-off value (`finish_reason: length` or a repair that closed it) is never marked valid.
 */
export function healJsonAnswer(request: ChatRequest, result: ChatResult): HealedAnswer {
  const format = request.response_format;
  const jsonMode = format !== null && format !== undefined && format.type !== 'text';
  const schema = format?.type === 'json_schema' && format.json_schema.schema !== undefined ? validatorFor(format.json_schema.schema) : null;
  const completion = result.readCompletion();
  const fixes = new Set<JsonFix>();
  let valid = true;
  let changed = false;
  const choices = completion.choices.map((choice) => {
    let message = choice.message;
    const cutOff = choice.finish_reason === 'length';
    if (jsonMode && typeof message.content === 'string') {
      const healed = heal(message.content, schema);
      for (const fix of healed.fixes) fixes.add(fix);
      valid &&= healed.valid && !cutOff;
      if (healed.text !== null) {
        message = { ...message, content: healed.text };
        changed = true;
      }
    }
    if (message.tool_calls !== undefined) {
      const toolCalls = message.tool_calls.map((call) => {
        const healed = heal(call.function.arguments, null);
        for (const fix of healed.fixes) fixes.add(fix);
        valid &&= healed.valid && !cutOff;
        if (healed.text === null) return call;
        changed = true;
        return { ...call, function: { ...call.function, arguments: healed.text } };
      });
      message = { ...message, tool_calls: toolCalls };
    }
    return message === choice.message ? choice : { ...choice, message };
  });
  if (!changed) return { result, fixes: [...fixes], valid };
  const healed: ChatCompletion = { ...completion, choices };
  const body = JSON.stringify(healed);
  return { result: { ...result, body, readCompletion: () => healed }, fixes: [...fixes], valid };
}

/** The repaired text (null when unchanged or unrepairable) and whether the part is now valid. */
function heal(text: string, schema: JsonSchemaValidator | null): { text: string | null; fixes: JsonFix[]; valid: boolean } {
  const extracted = extractJson(text, { expect: schema?.expects ?? null });
  if (!extracted.ok) return { text: null, fixes: extracted.fixes, valid: false };
  const valid = !extracted.truncated && (schema === null || schema.check(extracted.value).ok);
  return { text: extracted.fixes.length === 0 ? null : JSON.stringify(extracted.value), fixes: extracted.fixes, valid };
}

/** Schemas repeat across requests; each is compiled once (a small cache, oldest out first). */
const compiled = new Map<string, JsonSchemaValidator | null>();
const MAX_COMPILED = 256;

function validatorFor(schema: Record<string, unknown>): JsonSchemaValidator | null {
  const key = JSON.stringify(schema);
  let validator = compiled.get(key);
  if (validator === undefined) {
    try {
      validator = compileJsonSchema(schema);
    } catch {
      // A schema ajv refuses is the upstream's business; healing still repairs the syntax.
      validator = null;
    }
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value ?? '');
    compiled.set(key, validator);
  }
  return validator;
}

/** True when the caller opted in: the header, or OpenRouter's plugin in the body. */
export function wantsJsonHealing(header: string | string[] | undefined, plugins: unknown): boolean {
  if (typeof header === 'string' && header.toLowerCase() === 'true') return true;
  return hasHealingPlugin(plugins);
}

/** OpenRouter's `plugins: [{"id": "response-healing"}]`. */
export function hasHealingPlugin(plugins: unknown): boolean {
  return Array.isArray(plugins) && plugins.some((plugin: unknown) =>
    plugin !== null && typeof plugin === 'object' && 'id' in plugin && plugin.id === 'response-healing');
}
