import type { ChatCompletion, ChatMessage, ChatRequest } from '../core/index.js';
import { fitsStrictMode, renderServiceTemplate } from '../services/index.js';
import type { ResolvedService } from '../services/index.js';

/** The synthetic tool of `structured_output: tool`; its arguments are the answer. */
export const SERVICE_TOOL_NAME = 'submit_output';

/**
 * The chat request for a service's first attempt: the rendered template, then the structured
 * output the strategy asks for. `auto` and `native` send `response_format: json_schema`, which
 * each adapter turns into its vendor's native form (OpenAI strict json_schema when the schema
 * fits strict mode, an Anthropic forced tool, Gemini's response schema); `tool` forces a
 * function call whose parameters are the schema (instructor's TOOLS mode); `prompt` puts the
 * schema into the system message and asks for JSON mode.
 */
export function buildServiceRequest(service: ResolvedService, input: unknown, model: string): ChatRequest {
  const definition = service.definition;
  const messages: ChatMessage[] = definition.template === undefined
    ? [{ role: 'user', content: typeof input === 'string' ? input : JSON.stringify(input) }]
    : renderServiceTemplate(definition.template.messages, input);
  const request: ChatRequest = { model, messages };
  if (definition.max_tokens !== undefined) request.max_tokens = definition.max_tokens;
  if (definition.temperature !== undefined) request.temperature = definition.temperature;
  if (definition.type !== 'json') return request;

  const schema = definition.output_schema;
  const strategy = definition.structured_output;
  if (strategy === 'tool') {
    request.tools = [{
      type: 'function',
      function: { name: SERVICE_TOOL_NAME, description: `Submit the output of ${definition.name}.`, parameters: schema ?? { type: 'object' } },
    }];
    request.tool_choice = { type: 'function', function: { name: SERVICE_TOOL_NAME } };
  } else if (strategy === 'prompt' || schema === undefined) {
    const instruction = schema === undefined
      ? 'Answer with a single JSON value only: no prose, no code fence.'
      : `Answer with a single JSON value only (no prose, no code fence) that matches this JSON Schema:\n${JSON.stringify(schema)}`;
    request.messages = [{ role: 'system', content: instruction }, ...request.messages];
    request.response_format = { type: 'json_object' };
  } else {
    request.response_format = {
      type: 'json_schema',
      json_schema: { name: schemaName(definition.name), schema, strict: fitsStrictMode(schema) },
    };
  }
  return request;
}

/** OpenAI wants `^[a-zA-Z0-9_-]{1,64}$`. */
function schemaName(serviceName: string): string {
  return serviceName.replace(/[^\w-]/g, '_').slice(0, 64);
}

/** What the model answered: tool arguments in tool mode, else the text; plus how it finished. */
export function readServiceOutput(completion: ChatCompletion): { text: string; refusal: string | null; finishReason: string | null } {
  const choice = completion.choices[0];
  if (choice === undefined) return { text: '', refusal: null, finishReason: null };
  const message = choice.message;
  const toolCall = message.tool_calls?.find((call) => call.function.name === SERVICE_TOOL_NAME) ?? message.tool_calls?.[0];
  const content = typeof message.content === 'string' ? message.content : '';
  return {
    text: toolCall !== undefined && content.trim() === '' ? toolCall.function.arguments : content,
    refusal: typeof message.refusal === 'string' && message.refusal !== '' ? message.refusal : null,
    finishReason: choice.finish_reason ?? null,
  };
}
