import { createHash } from 'node:crypto';
import { GatewayError, assertTranslatable } from '../../core/index.js';
import type {
  CallContext, ChatCompletion, ChatCompletionChunk, ChatMessage, ChatRequest, ChatResult, ChatStream,
  EmbeddingsRequest, EmbeddingsResult, FinishReason, Provider, StreamChunk, ToolCall, Usage,
} from '../../core/index.js';

export const MOCK_MODELS = ['echo', 'lorem'] as const;

const LOREM = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore ' +
  'et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea ' +
  'commodo consequat').split(' ');

const EMBEDDING_DIMENSIONS = 16;

interface MockAnswer {
  words: string[];
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
}

/**
 * An offline, deterministic provider: `echo` answers with the last user message, `lorem` with
 * lorem ipsum (30 words). Both honour max_tokens (one token per word), stream, call a tool when
 * tool_choice forces one, and report usage (one token per word, plus 3 per message).
 */
export function createMockProvider(options: { name: string }): Provider {
  const name = options.name;

  function answer(request: ChatRequest): MockAnswer {
    const model = request.model;
    if (model !== 'echo' && model !== 'lorem') {
      throw new GatewayError('model_not_found', `The mock provider has no model "${model}"; it has echo and lorem`);
    }
    const promptTokens = request.messages.reduce((sum, message) => sum + 3 + countWords(messageText(message)), 0);
    const forcedTool = findForcedTool(request);
    if (forcedTool !== null) {
      const call: ToolCall = { id: `call_mock_${hashHex(forcedTool).slice(0, 12)}`, type: 'function', function: { name: forcedTool, arguments: '{}' } };
      return { words: [], toolCalls: [call], finishReason: 'tool_calls', usage: usageOf(promptTokens, 1) };
    }
    const all = model === 'echo' ? splitWords(lastUserText(request.messages)) : LOREM.slice(0, 30);
    const limit = request.max_completion_tokens ?? request.max_tokens ?? Number.POSITIVE_INFINITY;
    const words = all.slice(0, limit);
    const finishReason: FinishReason = words.length < all.length ? 'length' : 'stop';
    return { words, toolCalls: [], finishReason, usage: usageOf(promptTokens, words.length) };
  }

  return {
    name,

    async chat(request: ChatRequest, context: CallContext): Promise<ChatResult> {
      assertTranslatable(context);
      const result = answer(request);
      const completion: ChatCompletion = {
        id: `chatcmpl-mock-${hashHex(JSON.stringify(request.messages)).slice(0, 16)}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [{
          index: 0,
          message: {
            role: 'assistant',
            content: result.toolCalls.length > 0 ? null : result.words.join(' '),
            refusal: null,
            ...(result.toolCalls.length > 0 ? { tool_calls: result.toolCalls } : {}),
          },
          finish_reason: result.finishReason,
          logprobs: null,
        }],
        usage: toWireUsage(result.usage),
      };
      return { readCompletion: () => completion, usage: result.usage, provider: name, model: request.model };
    },

    async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
      assertTranslatable(context);
      const result = answer(request);
      return { provider: name, model: request.model, chunks: streamAnswer(request, result, context.signal) };
    },

    async embed(request: EmbeddingsRequest): Promise<EmbeddingsResult> {
      const inputs = normalizeInputs(request.input);
      const tokens = inputs.reduce((sum, input) => sum + countWords(input), 0);
      const data = inputs.map((input, index) => {
        const vector = embed(input, request.dimensions ?? EMBEDDING_DIMENSIONS);
        const embedding = request.encoding_format === 'base64'
          ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
          : vector;
        return { object: 'embedding' as const, index, embedding };
      });
      const usage = usageOf(tokens, 0);
      return {
        response: { object: 'list', model: request.model, data, usage: { prompt_tokens: tokens, total_tokens: tokens } },
        usage,
        provider: name,
        model: request.model,
      };
    },
  };
}

async function* streamAnswer(request: ChatRequest, result: MockAnswer, signal: AbortSignal): AsyncGenerator<StreamChunk> {
  const base = {
    id: `chatcmpl-mock-${hashHex(JSON.stringify(request.messages)).slice(0, 16)}`,
    object: 'chat.completion.chunk' as const,
    created: Math.floor(Date.now() / 1000),
    model: request.model,
  };
  const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finishReason: FinishReason | null = null): StreamChunk => ({
    chunk: { ...base, choices: [{ index: 0, delta, finish_reason: finishReason }] },
  });
  yield chunk({ role: 'assistant', content: '' });
  for (const [index, word] of result.words.entries()) {
    if (signal.aborted) return;
    yield chunk({ content: index === 0 ? word : ` ${word}` });
    // Let the event loop breathe between words, as a real stream would.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  for (const [index, call] of result.toolCalls.entries()) {
    yield chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: call.function.arguments } }] });
  }
  yield chunk({}, result.finishReason);
  yield { chunk: { ...base, choices: [], usage: toWireUsage(result.usage) } };
}

function findForcedTool(request: ChatRequest): string | null {
  const choice = request.tool_choice;
  if (choice === undefined || request.tools === undefined || request.tools.length === 0) return null;
  if (typeof choice === 'object' && choice.type === 'function') return choice.function.name;
  if (choice === 'required') {
    const first = request.tools.find((tool) => tool.type === 'function');
    return first?.type === 'function' ? first.function.name : null;
  }
  return null;
}

function messageText(message: ChatMessage): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part.type === 'text' ? part.text : '')).join(' ');
}

function lastUserText(messages: ChatMessage[]): string {
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index];
    if (message?.role === 'user') return messageText(message);
  }
  return '';
}

function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

function countWords(text: string): number {
  return splitWords(text).length;
}

function normalizeInputs(input: EmbeddingsRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  if (input.length === 0) return [];
  if (typeof input[0] === 'number') return [input.join(' ')];
  return input.map((item) => (typeof item === 'string' ? item : Array.isArray(item) ? item.join(' ') : String(item)));
}

function embed(text: string, dimensions: number): number[] {
  const vector: number[] = [];
  let seed = createHash('sha256').update(text).digest();
  while (vector.length < dimensions) {
    for (let offset = 0; offset + 2 <= seed.length && vector.length < dimensions; offset += 2) {
      vector.push(Math.round(((seed.readUInt16LE(offset) / 65535) * 2 - 1) * 1e6) / 1e6);
    }
    seed = createHash('sha256').update(seed).digest();
  }
  return vector;
}

function hashHex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function usageOf(promptTokens: number, completionTokens: number): Usage {
  return {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
  };
}

function toWireUsage(usage: Usage): ChatCompletion['usage'] {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens };
}
