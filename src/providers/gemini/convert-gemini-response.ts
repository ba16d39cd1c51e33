import type { ChatCompletion, FinishReason, ToolCall } from '../../core/index.js';
import type { GeminiResponse } from './gemini-api.js';
import { convertGeminiUsage } from './convert-gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { encodeToolCallId } from './tool-call-id.js';

export interface GeminiConversionOptions {
  model: string;
  now: number;
  /** A fresh unique id for a tool call (Gemini usually sends none). */
  newId: () => string;
}

/** Gemini generateContent response → OpenAI chat completion; thought parts become `reasoning_content`. */
export function convertGeminiResponse(response: GeminiResponse, options: GeminiConversionOptions): ChatCompletion {
  const candidates = response.candidates ?? [];
  const choices: ChatCompletion['choices'] = candidates.map((candidate, position) => {
    let text = '';
    let reasoning = '';
    const toolCalls: ToolCall[] = [];
    for (const part of candidate.content?.parts ?? []) {
      if (part.functionCall !== undefined) {
        const base = part.functionCall.id ?? options.newId();
        toolCalls.push({
          id: encodeToolCallId(base, part.thoughtSignature),
          type: 'function',
          function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
        });
      } else if (typeof part.text === 'string' && part.thought === true) {
        reasoning += part.text;
      } else if (typeof part.text === 'string') {
        text += part.text;
      }
    }
    return {
      index: candidate.index ?? position,
      message: {
        role: 'assistant' as const,
        content: text === '' && toolCalls.length > 0 ? null : text,
        ...(reasoning !== '' ? { reasoning_content: reasoning } : {}),
        refusal: null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      },
      finish_reason: mapGeminiFinishReason(candidate.finishReason, toolCalls.length > 0),
      logprobs: null,
    };
  });
  if (choices.length === 0) {
    // The prompt itself was blocked: no candidates, only promptFeedback.blockReason.
    const finishReason: FinishReason = response.promptFeedback?.blockReason ? 'content_filter' : 'stop';
    choices.push({ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: finishReason, logprobs: null });
  }
  return {
    id: `chatcmpl-${response.responseId ?? options.newId()}`,
    object: 'chat.completion',
    created: Math.floor(options.now / 1000),
    model: response.modelVersion ?? options.model,
    choices,
    usage: convertGeminiUsage(response.usageMetadata ?? {}),
  };
}
