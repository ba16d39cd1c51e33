import { GatewayError, messageTexts } from '../../core/index.js';
import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from '../../core/index.js';
import type { GeminiContent, GeminiPart, GeminiRequestBody } from './gemini-api.js';
import { decodeToolCallId } from './tool-call-id.js';

/** Gemini's documented stand-in for a thought signature Sluice never saw (a call made by another provider). */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

/** OpenAI chat request → Gemini generateContent body. */
export function convertToGeminiContents(request: ChatRequest, options: { stream: boolean }): GeminiRequestBody {
  rejectUnsupported(request, options.stream);
  const system: Array<{ text: string }> = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    // Gemini wants turns to alternate between user and model.
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  request.messages.forEach((message, index) => {
    const param = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const text of messageTexts(message, param)) if (text !== '') system.push({ text });
        return;
      case 'user':
        push('user', userParts(message, param));
        return;
      case 'assistant': {
        const parts: GeminiPart[] = messageTexts(message, param).filter((text) => text !== '').map((text) => ({ text }));
        (message.tool_calls ?? []).forEach((call, callIndex) => {
          toolNames.set(call.id, call.function.name);
          const { signature } = decodeToolCallId(call.id);
          const part: GeminiPart = {
            functionCall: { name: call.function.name, args: parseArguments(call.function.arguments, `${param}.tool_calls[${callIndex}].function.arguments`) },
          };
          // Only the first call of a turn carries a signature; without one Gemini 3 refuses the turn.
          if (signature !== null) part.thoughtSignature = signature;
          else if (callIndex === 0) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
          parts.push(part);
        });
        push('model', parts);
        return;
      }
      case 'tool': {
        const id = message.tool_call_id ?? '';
        const name = toolNames.get(id);
        if (name === undefined) {
          throw new GatewayError('invalid_request', `No earlier assistant tool call has the id "${id}"; Gemini needs the function's name.`, {
            param: `${param}.tool_call_id`,
          });
        }
        push('user', [{ functionResponse: { name, response: { output: messageTexts(message, param).join('') } } }]);
        return;
      }
      case 'function':
        push('user', [{ functionResponse: { name: message.name ?? '', response: { output: messageTexts(message, param).join('') } } }]);
    }
  });

  const body: GeminiRequestBody = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  const tools = (request.tools ?? []).map((tool) => {
    if (tool.type !== 'function') throw new Error('unreachable: custom tools are rejected before conversion');
    const declaration: { name: string; description?: string; parametersJsonSchema?: Record<string, unknown> } = { name: tool.function.name };
    if (tool.function.description !== undefined) declaration.description = tool.function.description;
    if (tool.function.parameters !== undefined) declaration.parametersJsonSchema = tool.function.parameters;
    return declaration;
  });
  if (tools.length > 0) {
    body.tools = [{ functionDeclarations: tools }];
    const toolConfig = convertToolChoice(request.tool_choice);
    if (toolConfig !== undefined) body.toolConfig = { functionCallingConfig: toolConfig };
  }

  const generation: NonNullable<GeminiRequestBody['generationConfig']> = {};
  if (typeof request.temperature === 'number') generation.temperature = request.temperature;
  if (typeof request.top_p === 'number') generation.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (typeof maxTokens === 'number') generation.maxOutputTokens = maxTokens;
  if (request.stop !== null && request.stop !== undefined) {
    generation.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  }
  if (typeof request.n === 'number' && request.n > 1) generation.candidateCount = request.n;
  if (typeof request.seed === 'number') generation.seed = request.seed;
  if (typeof request.presence_penalty === 'number') generation.presencePenalty = request.presence_penalty;
  if (typeof request.frequency_penalty === 'number') generation.frequencyPenalty = request.frequency_penalty;
  const format = request.response_format;
  if (format !== null && format !== undefined && format.type !== 'text') {
    generation.responseMimeType = 'application/json';
    if (format.type === 'json_schema' && format.json_schema.schema !== undefined) generation.responseJsonSchema = format.json_schema.schema;
  }
  const thinking = thinkingConfigFor(request);
  if (thinking !== null) generation.thinkingConfig = thinking;
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  return body;
}

/**
 * `reasoning_effort` → Gemini `thinkingConfig`. Gemini 3 models take a level (Pro only knows
 * `low` and `high`, and refuses the others itself); earlier models take a token budget, where 0
 * turns thinking off. Thoughts are asked for, so that reasoning reaches the client.
 */
export const GEMINI_THINKING_LEVELS: Readonly<Record<string, string>> = {
  none: 'minimal', minimal: 'minimal', low: 'low', medium: 'medium', high: 'high', xhigh: 'high', max: 'high',
};
export const GEMINI_THINKING_BUDGETS: Readonly<Record<string, number>> = {
  none: 0, minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 24576, max: 24576,
};

function thinkingConfigFor(request: ChatRequest): { thinkingBudget?: number; thinkingLevel?: string; includeThoughts: boolean } | null {
  const effort = request.reasoning_effort;
  if (effort === undefined || effort === null) return null;
  const level = GEMINI_THINKING_LEVELS[effort];
  const budget = GEMINI_THINKING_BUDGETS[effort];
  if (level === undefined || budget === undefined) {
    throw new GatewayError('invalid_request', `Unknown reasoning effort "${effort}"; use one of ${Object.keys(GEMINI_THINKING_BUDGETS).join(', ')}.`, {
      param: 'reasoning_effort',
    });
  }
  if (/(^|\/)gemini-3/.test(request.model)) return { thinkingLevel: level, includeThoughts: effort !== 'none' };
  return { thinkingBudget: budget, includeThoughts: budget > 0 };
}

function rejectUnsupported(request: ChatRequest, stream: boolean): void {
  if (stream && typeof request.n === 'number' && request.n > 1) {
    throw new GatewayError('invalid_request', 'Streaming several choices (n > 1) from Gemini models is not supported.', { param: 'n' });
  }
  if (request.logprobs === true) {
    throw new GatewayError('invalid_request', 'logprobs are not supported for Gemini models through Sluice.', { param: 'logprobs' });
  }
  (request.tools ?? []).forEach((tool, index) => {
    if (tool.type !== 'function') {
      throw new GatewayError('invalid_request', 'Only function tools are supported for Gemini models.', { param: `tools[${index}]` });
    }
  });
  const choice = request.tool_choice;
  if (choice !== undefined && typeof choice === 'object' && choice.type === 'custom') {
    throw new GatewayError('invalid_request', 'Custom tools are not supported for Gemini models.', { param: 'tool_choice' });
  }
}

function convertToolChoice(choice: ToolChoice | undefined): { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'none') return { mode: 'NONE' };
  if (choice === 'auto') return { mode: 'AUTO' };
  if (choice === 'required') return { mode: 'ANY' };
  if (choice.type === 'function') return { mode: 'ANY', allowedFunctionNames: [choice.function.name] };
  if (choice.type === 'allowed_tools') {
    const names: string[] = [];
    for (const item of choice.allowed_tools.tools) {
      if (item !== null && typeof item === 'object' && 'function' in item) {
        const fn: unknown = item.function;
        if (fn !== null && typeof fn === 'object' && 'name' in fn && typeof fn.name === 'string') names.push(fn.name);
      }
    }
    // Gemini restricts names only in ANY mode.
    return choice.allowed_tools.mode === 'required' ? { mode: 'ANY', allowedFunctionNames: names } : { mode: 'AUTO' };
  }
  return undefined;
}

function userParts(message: ChatMessage, param: string): GeminiPart[] {
  const content = message.content;
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }];
  return content.flatMap((part, index) => convertPart(part, `${param}.content[${index}]`));
}

function convertPart(part: ContentPart, param: string): GeminiPart[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ text: part.text }];
    case 'refusal':
      return [{ text: part.refusal }];
    case 'image_url':
      return [mediaPart(part.image_url.url, param)];
    case 'input_audio':
      return [{ inlineData: { mimeType: `audio/${part.input_audio.format}`, data: part.input_audio.data } }];
    case 'file': {
      const data = part.file.file_data;
      if (data === undefined) {
        throw new GatewayError('invalid_request', 'Gemini models need files inline as file_data; file_id is not supported.', { param });
      }
      return [mediaPart(data.startsWith('data:') ? data : `data:application/pdf;base64,${data}`, param)];
    }
  }
}

function mediaPart(url: string, param: string): GeminiPart {
  const match = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (match !== null && match[1] !== undefined && match[2] !== undefined) return { inlineData: { mimeType: match[1], data: match[2] } };
  if (/^https?:\/\//i.test(url)) return { fileData: { mimeType: guessMimeType(url), fileUri: url } };
  throw new GatewayError('invalid_request', 'An image must be an http(s) URL or a base64 data URL.', { param });
}

function guessMimeType(url: string): string {
  const path = url.split(/[?#]/)[0]?.toLowerCase() ?? '';
  if (path.endsWith('.png')) return 'image/png';
  if (path.endsWith('.gif')) return 'image/gif';
  if (path.endsWith('.webp')) return 'image/webp';
  if (path.endsWith('.pdf')) return 'application/pdf';
  return 'image/jpeg';
}

function parseArguments(text: string, param: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return Object.fromEntries(Object.entries(value));
  } catch {
    // fall through
  }
  throw new GatewayError('invalid_request', 'Tool call arguments must be a JSON object.', { param });
}
