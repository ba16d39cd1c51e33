import type { ChatCompletionChunk, FinishReason } from '../../core/index.js';
import type { GeminiResponse, GeminiUsage } from './gemini-api.js';
import { convertGeminiUsage } from './convert-gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { encodeToolCallId } from './tool-call-id.js';

type Delta = ChatCompletionChunk['choices'][number]['delta'];

/**
 * Gemini `alt=sse` chunks → OpenAI chunks. Each function call becomes one
 * whole tool-call delta with a stream-wide index and a fresh id; the finish reason is decided at
 * the end (a STOP may come a chunk after the call) and usage is the last usageMetadata seen.
 */
export class GeminiStreamToChunks {
  private id: string;
  private model: string;
  private readonly created: number;
  private readonly newId: () => string;
  private started = false;
  private toolOrdinal = -1;
  private finishReason: string | null = null;
  private blocked = false;
  private usage: GeminiUsage = {};

  constructor(options: { model: string; now: number; newId: () => string }) {
    this.model = options.model;
    this.created = Math.floor(options.now / 1000);
    this.newId = options.newId;
    this.id = `chatcmpl-${options.newId()}`;
  }

  /** True once a finish reason (or a blocked prompt) arrived. */
  get complete(): boolean {
    return this.finishReason !== null || this.blocked;
  }

  push(response: GeminiResponse): ChatCompletionChunk[] {
    const chunks: ChatCompletionChunk[] = [];
    if (!this.started) {
      this.started = true;
      if (response.responseId) this.id = `chatcmpl-${response.responseId}`;
      if (response.modelVersion) this.model = response.modelVersion;
      chunks.push(this.chunk({ role: 'assistant', content: '' }));
    }
    if (response.usageMetadata) this.usage = response.usageMetadata;
    if (response.promptFeedback?.blockReason) this.blocked = true;
    const candidate = response.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      if (part.functionCall !== undefined) {
        this.toolOrdinal += 1;
        chunks.push(this.chunk({
          tool_calls: [{
            index: this.toolOrdinal,
            id: encodeToolCallId(part.functionCall.id ?? this.newId(), part.thoughtSignature),
            type: 'function',
            function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
          }],
        }));
      } else if (typeof part.text === 'string' && part.text !== '' && part.thought === true) {
        chunks.push(this.chunk({ reasoning_content: part.text }));
      } else if (typeof part.text === 'string' && part.text !== '') {
        chunks.push(this.chunk({ content: part.text }));
      }
    }
    if (candidate?.finishReason) this.finishReason = candidate.finishReason;
    return chunks;
  }

  /** The closing chunks: one with the finish reason, one (no choices) with the usage. */
  finish(): ChatCompletionChunk[] {
    const finishReason: FinishReason = this.blocked && this.finishReason === null
      ? 'content_filter'
      : mapGeminiFinishReason(this.finishReason, this.toolOrdinal >= 0);
    const chunks: ChatCompletionChunk[] = [];
    if (!this.started) chunks.push(this.chunk({ role: 'assistant', content: '' }));
    chunks.push(this.chunk({}, finishReason));
    chunks.push({ ...this.base(), choices: [], usage: convertGeminiUsage(this.usage) });
    return chunks;
  }

  private base(): Omit<ChatCompletionChunk, 'choices'> {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
  }

  private chunk(delta: Delta, finishReason: FinishReason | null = null): ChatCompletionChunk {
    return { ...this.base(), choices: [{ index: 0, delta, finish_reason: finishReason }] };
  }
}
