import type { ChatCompletionChunk, FinishReason, WireUsage } from '../../core/index.js';
import type { IdSource } from './convert-from-responses-request.js';
import type { ResponseObject, ResponseOutputItem } from './responses-wire.js';
import { finishResponse, toResponseUsage } from './to-response-object.js';

/** One Responses stream event: `type` names it (and its SSE `event:` line). */
export interface ResponseEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

type MessageItem = Extract<ResponseOutputItem, { type: 'message' }>;
type FunctionCallItem = Extract<ResponseOutputItem, { type: 'function_call' }>;
type ReasoningItem = Extract<ResponseOutputItem, { type: 'reasoning' }>;

type OpenItem =
  | { kind: 'reasoning'; item: ReasoningItem; outputIndex: number; text: string }
  | { kind: 'message'; item: MessageItem; outputIndex: number; part: { type: 'output_text' | 'refusal'; text: string } | null }
  | { kind: 'function'; item: FunctionCallItem; outputIndex: number; toolIndex: number };

export interface StreamEnd {
  /** The `.done` events of the items still open. */
  closing: ResponseEvent[];
  /** The finished response, to store before the terminal event goes out. */
  response: ResponseObject;
  /** `response.completed`, or `response.incomplete` after a length or content-filter stop. */
  terminal: ResponseEvent;
}

/**
 * Core chunks → the Responses event grammar the SDKs check: `response.created` and
 * `in_progress`, then per item `output_item.added` (and `content_part.added` for text) before
 * any delta, the `.done` events of every opened item, and one terminal event carrying the full
 * response. Items open lazily, one at a time; `sequence_number` rises by one per event. A
 * stream without a finish reason still closes every item (clients wait for the `.done`s).
 */
export class ChunksToResponseEvents {
  private readonly skeleton: ResponseObject;
  private readonly ids: IdSource;
  private sequence = 0;
  private readonly output: ResponseOutputItem[] = [];
  private open: OpenItem | null = null;
  private finishReason: FinishReason | null = null;
  private usage: WireUsage | null = null;

  constructor(skeleton: ResponseObject, ids: IdSource) {
    this.skeleton = skeleton;
    this.ids = ids;
  }

  start(): ResponseEvent[] {
    return [
      this.event('response.created', { response: this.skeleton }),
      this.event('response.in_progress', { response: this.skeleton }),
    ];
  }

  push(chunk: ChatCompletionChunk): ResponseEvent[] {
    const events: ResponseEvent[] = [];
    if (chunk.usage) this.usage = chunk.usage;
    const choice = chunk.choices.find((item) => item.index === 0);
    if (choice === undefined) return events;
    const delta = choice.delta;
    if (typeof delta.reasoning_content === 'string' && delta.reasoning_content !== '') this.reasoning(events, delta.reasoning_content);
    if (typeof delta.content === 'string' && delta.content !== '') this.text(events, 'output_text', delta.content);
    if (typeof delta.refusal === 'string' && delta.refusal !== '') this.text(events, 'refusal', delta.refusal);
    for (const call of delta.tool_calls ?? []) {
      let open = this.open;
      if (open?.kind !== 'function' || open.toolIndex !== call.index) {
        this.close(events, 'completed');
        const item: FunctionCallItem = {
          type: 'function_call', id: this.ids('fc'), call_id: call.id ?? this.ids('call'), name: call.function?.name ?? '',
          arguments: '', status: 'in_progress',
        };
        open = { kind: 'function', item, outputIndex: this.output.length, toolIndex: call.index };
        this.open = open;
        this.output.push(item);
        events.push(this.event('response.output_item.added', { output_index: open.outputIndex, item: { ...item } }));
      } else if (call.function?.name !== undefined && call.function.name !== '' && open.item.name === '') {
        open.item.name = call.function.name;
      }
      const partial = call.function?.arguments ?? '';
      if (partial !== '') {
        open.item.arguments += partial;
        events.push(this.event('response.function_call_arguments.delta', { item_id: open.item.id, output_index: open.outputIndex, delta: partial }));
      }
    }
    if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.finishReason = choice.finish_reason;
    return events;
  }

  /** Closes every open item and builds the final response; `completedAt` in epoch seconds. */
  end(completedAt: number): StreamEnd {
    const closing: ResponseEvent[] = [];
    const incomplete = this.finishReason === 'length' || this.finishReason === 'content_filter';
    this.close(closing, incomplete ? 'incomplete' : 'completed');
    const response = finishResponse(this.skeleton, this.output.map(copyItem), this.finishReason, this.usage, completedAt);
    const type = response.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    return { closing, response, terminal: this.event(type, { response }) };
  }

  /** After content has gone out, a failure ends the stream with `response.failed` (no fake completion). */
  fail(error: { code: string; message: string }): { response: ResponseObject; event: ResponseEvent } {
    const response: ResponseObject = {
      ...this.skeleton, status: 'failed', error, output: this.output.map(copyItem), usage: this.usage === null ? null : toResponseUsage(this.usage),
    };
    return { response, event: this.event('response.failed', { response }) };
  }

  /** Reasoning text streams as one summary part of a reasoning item, as OpenAI's reasoning summaries do. */
  private reasoning(events: ResponseEvent[], text: string): void {
    let open = this.open;
    if (open?.kind !== 'reasoning') {
      this.close(events, 'completed');
      const item: ReasoningItem = { type: 'reasoning', id: this.ids('rs'), summary: [] };
      open = { kind: 'reasoning', item, outputIndex: this.output.length, text: '' };
      this.open = open;
      this.output.push(item);
      events.push(this.event('response.output_item.added', { output_index: open.outputIndex, item: { ...item, summary: [] } }));
      events.push(this.event('response.reasoning_summary_part.added', {
        item_id: item.id, output_index: open.outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' },
      }));
    }
    open.text += text;
    events.push(this.event('response.reasoning_summary_text.delta', { item_id: open.item.id, output_index: open.outputIndex, summary_index: 0, delta: text }));
  }

  private text(events: ResponseEvent[], partType: 'output_text' | 'refusal', text: string): void {
    let open = this.open;
    if (open?.kind !== 'message') {
      this.close(events, 'completed');
      const item: MessageItem = { type: 'message', id: this.ids('msg'), status: 'in_progress', role: 'assistant', content: [] };
      open = { kind: 'message', item, outputIndex: this.output.length, part: null };
      this.open = open;
      this.output.push(item);
      events.push(this.event('response.output_item.added', { output_index: open.outputIndex, item: { ...item, content: [] } }));
    }
    if (open.part?.type !== partType) {
      this.closePart(events, open);
      open.part = { type: partType, text: '' };
      events.push(this.event('response.content_part.added', {
        item_id: open.item.id, output_index: open.outputIndex, content_index: open.item.content.length, part: partOf(open.part),
      }));
    }
    open.part.text += text;
    const common = { item_id: open.item.id, output_index: open.outputIndex, content_index: open.item.content.length, delta: text };
    events.push(partType === 'output_text'
      ? this.event('response.output_text.delta', { ...common, logprobs: [] })
      : this.event('response.refusal.delta', common));
  }

  private closePart(events: ResponseEvent[], open: Extract<OpenItem, { kind: 'message' }>): void {
    const part = open.part;
    if (part === null) return;
    const where = { item_id: open.item.id, output_index: open.outputIndex, content_index: open.item.content.length };
    events.push(part.type === 'output_text'
      ? this.event('response.output_text.done', { ...where, text: part.text, logprobs: [] })
      : this.event('response.refusal.done', { ...where, refusal: part.text }));
    const finished = partOf(part);
    events.push(this.event('response.content_part.done', { ...where, part: finished }));
    open.item.content.push(finished);
    open.part = null;
  }

  private close(events: ResponseEvent[], status: 'completed' | 'incomplete'): void {
    const open = this.open;
    if (open === null) return;
    if (open.kind === 'message') {
      this.closePart(events, open);
    } else if (open.kind === 'reasoning') {
      const where = { item_id: open.item.id, output_index: open.outputIndex, summary_index: 0 };
      events.push(this.event('response.reasoning_summary_text.done', { ...where, text: open.text }));
      events.push(this.event('response.reasoning_summary_part.done', { ...where, part: { type: 'summary_text', text: open.text } }));
      open.item.summary.push({ type: 'summary_text', text: open.text });
      events.push(this.event('response.output_item.done', { output_index: open.outputIndex, item: copyItem(open.item) }));
      this.open = null;
      return;
    } else {
      events.push(this.event('response.function_call_arguments.done', {
        item_id: open.item.id, output_index: open.outputIndex, name: open.item.name, arguments: open.item.arguments,
      }));
    }
    open.item.status = status;
    events.push(this.event('response.output_item.done', { output_index: open.outputIndex, item: copyItem(open.item) }));
    this.open = null;
  }

  private event(type: string, fields: Record<string, unknown>): ResponseEvent {
    return { type, ...fields, sequence_number: this.sequence++ };
  }
}

function partOf(part: { type: 'output_text' | 'refusal'; text: string }): MessageItem['content'][number] {
  return part.type === 'output_text'
    ? { type: 'output_text', text: part.text, annotations: [], logprobs: [] }
    : { type: 'refusal', refusal: part.text };
}

function copyItem(item: ResponseOutputItem): ResponseOutputItem {
  if (item.type === 'message') return { ...item, content: [...item.content] };
  if (item.type === 'reasoning') return { ...item, summary: [...item.summary] };
  return { ...item };
}
