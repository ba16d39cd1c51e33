import type { ChatCompletion, ChatCompletionChunk, FinishReason, ToolCall, WireUsage } from '../core/index.js';

/**
 * What the cache stores for a chat answer: the canonical result, not wire bytes, so one entry
 * serves a JSON caller and a streaming caller, OpenAI and Anthropic alike. When the answer came
 * from a stream, the lengths of its pieces are kept too (`*Cuts`), so a streamed replay sends
 * the same events as the original stream did.
 */
export interface CachedChatResult {
  v: 1;
  /** The `model` field the upstream answered with. */
  model: string;
  provider: string;
  providerModel: string;
  choices: CachedChoice[];
  usage: WireUsage | null;
  systemFingerprint: string | null;
}

export interface CachedChoice {
  index: number;
  content: string | null;
  contentCuts: number[] | null;
  /** Reasoning text (`reasoning_content` on the wire), when the upstream sent any. */
  reasoning: string | null;
  reasoningCuts: number[] | null;
  refusal: string | null;
  toolCalls: CachedToolCall[];
  finishReason: FinishReason | null;
}

export interface CachedToolCall {
  id: string;
  name: string;
  arguments: string;
  argumentCuts: number[] | null;
}

/** The canonical result of a JSON answer. */
export function fromCompletion(completion: ChatCompletion, provider: string, providerModel: string): CachedChatResult {
  return {
    v: 1,
    model: completion.model,
    provider,
    providerModel,
    choices: completion.choices.map((choice) => ({
      index: choice.index,
      content: choice.message.content,
      contentCuts: null,
      reasoning: reasoningOf(choice.message),
      reasoningCuts: null,
      refusal: choice.message.refusal ?? null,
      toolCalls: (choice.message.tool_calls ?? []).map((call: ToolCall) => ({
        id: call.id, name: call.function.name, arguments: call.function.arguments, argumentCuts: null,
      })),
      finishReason: choice.finish_reason,
    })),
    usage: completion.usage ?? null,
    systemFingerprint: completion.system_fingerprint ?? null,
  };
}

interface ChoiceBuilder {
  index: number;
  content: string[];
  reasoning: string[];
  refusal: string[];
  toolCalls: Map<number, { id: string; name: string; arguments: string[] }>;
  finishReason: FinishReason | null;
}

/** Rebuilds the canonical result from a stream's chunks, as they pass to the client. */
export class StreamResultAccumulator {
  private model = '';
  private usage: WireUsage | null = null;
  private systemFingerprint: string | null = null;
  private readonly choices = new Map<number, ChoiceBuilder>();

  push(chunk: ChatCompletionChunk): void {
    if (chunk.model !== '' && this.model === '') this.model = chunk.model;
    if (chunk.usage) this.usage = chunk.usage;
    if ('system_fingerprint' in chunk && typeof chunk.system_fingerprint === 'string') this.systemFingerprint = chunk.system_fingerprint;
    for (const choice of chunk.choices) {
      let builder = this.choices.get(choice.index);
      if (builder === undefined) {
        builder = { index: choice.index, content: [], reasoning: [], refusal: [], toolCalls: new Map(), finishReason: null };
        this.choices.set(choice.index, builder);
      }
      const delta = choice.delta;
      if (typeof delta.content === 'string' && delta.content !== '') builder.content.push(delta.content);
      const reasoning = reasoningOf(delta);
      if (reasoning !== null && reasoning !== '') builder.reasoning.push(reasoning);
      if (typeof delta.refusal === 'string' && delta.refusal !== '') builder.refusal.push(delta.refusal);
      for (const call of delta.tool_calls ?? []) {
        let tool = builder.toolCalls.get(call.index);
        if (tool === undefined) builder.toolCalls.set(call.index, tool = { id: '', name: '', arguments: [] });
        if (call.id !== undefined) tool.id = call.id;
        if (call.function?.name !== undefined) tool.name += call.function.name;
        const part = call.function?.arguments;
        if (part !== undefined && part !== '') tool.arguments.push(part);
      }
      if (choice.finish_reason !== null) builder.finishReason = choice.finish_reason;
    }
  }

  result(provider: string, providerModel: string): CachedChatResult {
    return {
      v: 1,
      model: this.model,
      provider,
      providerModel,
      choices: [...this.choices.values()].sort((left, right) => left.index - right.index).map((builder) => ({
        index: builder.index,
        content: builder.content.length === 0 ? (builder.toolCalls.size > 0 ? null : '') : builder.content.join(''),
        contentCuts: builder.content.map((piece) => piece.length),
        reasoning: builder.reasoning.length === 0 ? null : builder.reasoning.join(''),
        reasoningCuts: builder.reasoning.map((piece) => piece.length),
        refusal: builder.refusal.length === 0 ? null : builder.refusal.join(''),
        toolCalls: [...builder.toolCalls.entries()].sort(([left], [right]) => left - right).map(([, tool]) => ({
          id: tool.id, name: tool.name, arguments: tool.arguments.join(''), argumentCuts: tool.arguments.map((piece) => piece.length),
        })),
        finishReason: builder.finishReason,
      })),
      usage: this.usage,
      systemFingerprint: this.systemFingerprint,
    };
  }
}

/** `reasoning_content` (DeepSeek, vLLM, OpenRouter) or `reasoning`, which OpenAI-compatible upstreams add. */
function reasoningOf(message: object): string | null {
  if ('reasoning_content' in message && typeof message.reasoning_content === 'string') return message.reasoning_content;
  if ('reasoning' in message && typeof message.reasoning === 'string') return message.reasoning;
  return null;
}
