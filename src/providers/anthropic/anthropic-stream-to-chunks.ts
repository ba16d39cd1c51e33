import type { ChatCompletionChunk, FinishReason, WireUsage } from '../../core/index.js';
import type { AnthropicStreamEvent, AnthropicUsage } from './anthropic-api.js';
import { convertAnthropicUsage } from './convert-anthropic-usage.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

type Delta = ChatCompletionChunk['choices'][number]['delta'];

/**
 * Anthropic stream events → OpenAI chunks. Tool calls are indexed by their
 * ordinal among tool calls, never by content-block index; the first delta of each call carries
 * id, type and name; a call whose input never streamed ends with "{}". The first chunk carries
 * the role, one chunk the finish_reason, and a last chunk (no choices) the usage.
 */
export class AnthropicStreamToChunks {
  private id = '';
  private model: string;
  private readonly created: number;
  private readonly jsonTool: string | null;
  private usage: AnthropicUsage = {};
  private stopReason: string | null = null;
  private toolOrdinal = -1;
  /** Content-block index → tool ordinal, and whether any input arrived for it. */
  private readonly tools = new Map<number, { ordinal: number; sawInput: boolean }>();
  /** Content-block index of the forced JSON tool, whose input streams as text. */
  private jsonBlock: number | null = null;
  private finished = false;

  constructor(options: { model: string; now: number; jsonTool: string | null }) {
    this.model = options.model;
    this.created = Math.floor(options.now / 1000);
    this.jsonTool = options.jsonTool;
  }

  get complete(): boolean {
    return this.finished;
  }

  push(event: AnthropicStreamEvent): ChatCompletionChunk[] {
    switch (event.type) {
      case 'message_start':
        this.id = event.message.id;
        this.model = event.message.model;
        if (event.message.usage) this.mergeUsage(event.message.usage);
        return [this.chunk({ role: 'assistant', content: '' })];
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'tool_use' && 'id' in block && 'name' in block && typeof block.id === 'string' && typeof block.name === 'string') {
          if (this.jsonTool !== null && block.name === this.jsonTool) {
            this.jsonBlock = event.index;
            return [];
          }
          this.toolOrdinal += 1;
          this.tools.set(event.index, { ordinal: this.toolOrdinal, sawInput: false });
          return [this.chunk({
            tool_calls: [{ index: this.toolOrdinal, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }],
          })];
        }
        if (block.type === 'text' && 'text' in block && typeof block.text === 'string' && block.text !== '') {
          return [this.chunk({ content: block.text })];
        }
        return [];
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta' && 'text' in delta && typeof delta.text === 'string') {
          return [this.chunk({ content: delta.text })];
        }
        if (delta.type === 'input_json_delta' && 'partial_json' in delta && typeof delta.partial_json === 'string') {
          if (delta.partial_json === '') return [];
          if (event.index === this.jsonBlock) return [this.chunk({ content: delta.partial_json })];
          const tool = this.tools.get(event.index);
          if (tool === undefined) return [];
          tool.sawInput = true;
          return [this.chunk({ tool_calls: [{ index: tool.ordinal, function: { arguments: delta.partial_json } }] })];
        }
        if (delta.type === 'thinking_delta' && 'thinking' in delta && typeof delta.thinking === 'string' && delta.thinking !== '') {
          return [this.chunk({ reasoning_content: delta.thinking })];
        }
        // signature and citation deltas have no OpenAI field.
        return [];
      }
      case 'content_block_stop': {
        const tool = this.tools.get(event.index);
        if (tool === undefined || tool.sawInput) return [];
        tool.sawInput = true;
        return [this.chunk({ tool_calls: [{ index: tool.ordinal, function: { arguments: '{}' } }] })];
      }
      case 'message_delta':
        if (event.delta.stop_reason !== undefined && event.delta.stop_reason !== null) this.stopReason = event.delta.stop_reason;
        if (event.usage) this.mergeUsage(event.usage);
        return [];
      case 'message_stop': {
        this.finished = true;
        let finishReason: FinishReason = mapAnthropicStopReason(this.stopReason);
        if (this.jsonBlock !== null && finishReason === 'tool_calls' && this.toolOrdinal < 0) finishReason = 'stop';
        return [this.chunk({}, finishReason), { ...this.base(), choices: [], usage: this.wireUsage() }];
      }
      case 'ping':
      case 'error':
        return [];
    }
  }

  /** A chunk with no choices, to carry an upstream event that has no OpenAI counterpart. */
  emptyChunk(): ChatCompletionChunk {
    return { ...this.base(), choices: [] };
  }

  wireUsage(): WireUsage {
    return convertAnthropicUsage(this.usage);
  }

  private mergeUsage(usage: AnthropicUsage): void {
    // message_delta counters are cumulative: a present value replaces the earlier one.
    const merged: AnthropicUsage = { ...this.usage };
    if (typeof usage.input_tokens === 'number') merged.input_tokens = usage.input_tokens;
    if (typeof usage.output_tokens === 'number') merged.output_tokens = usage.output_tokens;
    if (typeof usage.cache_read_input_tokens === 'number') merged.cache_read_input_tokens = usage.cache_read_input_tokens;
    if (typeof usage.cache_creation_input_tokens === 'number') merged.cache_creation_input_tokens = usage.cache_creation_input_tokens;
    if (usage.output_tokens_details) merged.output_tokens_details = usage.output_tokens_details;
    this.usage = merged;
  }

  private base(): Omit<ChatCompletionChunk, 'choices'> {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }

  private chunk(delta: Delta, finishReason: FinishReason | null = null): ChatCompletionChunk {
    return { ...this.base(), choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }
}
