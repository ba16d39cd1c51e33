import { GatewayError } from '../../core/index.js';
import type { ChatCompletionChunk, FinishReason, WireUsage } from '../../core/index.js';
import { toAnthropicMessageId, toAnthropicStopReason, toAnthropicUsage } from './to-anthropic-message.js';

export interface AnthropicEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * OpenAI chunks → Anthropic stream events: message_start (input tokens
 * estimated from the request, since clients such as LangChain read them only there; the real
 * counts follow in message_delta), one content block per text run and per tool call
 * (a new tool-call index opens a new block), then message_delta with usage and message_stop.
 */
export class ChunksToAnthropicEvents {
  private started = false;
  private blockIndex = -1;
  private open: { kind: 'text' } | { kind: 'tool'; toolIndex: number } | null = null;
  private finishReason: FinishReason | null = null;
  private sawFinish = false;
  private sawToolCall = false;
  private usage: WireUsage | null = null;
  private readonly inputTokens: () => number;

  /** `inputTokens`: the request's estimated input, read once when message_start goes out. */
  constructor(inputTokens: () => number = () => 0) {
    this.inputTokens = inputTokens;
  }

  push(chunk: ChatCompletionChunk): AnthropicEvent[] {
    const events: AnthropicEvent[] = [];
    if (!this.started) {
      this.started = true;
      events.push({
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: toAnthropicMessageId(chunk.id), type: 'message', role: 'assistant', content: [], model: chunk.model,
            stop_reason: null, stop_sequence: null,
            usage: { input_tokens: this.inputTokens(), output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
          },
        },
      });
    }
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices.find((item) => item.index === 0);
    if (choice === undefined) return events;
    const delta = choice.delta;
    const text = (delta.content ?? '') + (delta.refusal ?? '');
    if (text !== '') {
      if (this.open?.kind !== 'text') this.startBlock(events, { kind: 'text' }, { type: 'text', text: '' });
      events.push(this.blockEvent('content_block_delta', { delta: { type: 'text_delta', text } }));
    }
    for (const call of delta.tool_calls ?? []) {
      if (this.open?.kind !== 'tool' || this.open.toolIndex !== call.index) {
        this.sawToolCall = true;
        this.startBlock(events, { kind: 'tool', toolIndex: call.index }, {
          type: 'tool_use', id: call.id ?? `toolu_sluice_${call.index}`, name: call.function?.name ?? '', input: {},
        });
      }
      const partial = call.function?.arguments ?? '';
      if (partial !== '') events.push(this.blockEvent('content_block_delta', { delta: { type: 'input_json_delta', partial_json: partial } }));
    }
    if (choice.finish_reason !== null) {
      this.finishReason = choice.finish_reason;
      this.sawFinish = true;
    }
    return events;
  }

  /** The closing events; a stream that never finished is an error, not a fake end_turn. */
  end(): AnthropicEvent[] {
    if (!this.sawFinish) throw new GatewayError('provider_error', 'the upstream stream ended without a finish reason');
    const events: AnthropicEvent[] = [];
    this.closeBlock(events);
    events.push({
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: toAnthropicStopReason(this.finishReason, this.sawToolCall), stop_sequence: null },
        usage: toAnthropicUsage(this.usage),
      },
    });
    events.push({ event: 'message_stop', data: { type: 'message_stop' } });
    return events;
  }

  private startBlock(events: AnthropicEvent[], open: NonNullable<ChunksToAnthropicEvents['open']>, contentBlock: object): void {
    this.closeBlock(events);
    this.blockIndex += 1;
    this.open = open;
    events.push(this.blockEvent('content_block_start', { content_block: contentBlock }));
  }

  private closeBlock(events: AnthropicEvent[]): void {
    if (this.open === null) return;
    events.push(this.blockEvent('content_block_stop', {}));
    this.open = null;
  }

  private blockEvent(type: string, payload: Record<string, unknown>): AnthropicEvent {
    return { event: type, data: { type, index: this.blockIndex, ...payload } };
  }
}
