import type { ChatCompletion, ToolCall } from '../../core/index.js';
import type { AnthropicMessage } from './anthropic-api.js';
import { convertAnthropicUsage } from './convert-anthropic-usage.js';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';

/** Anthropic Message → OpenAI chat completion. Thinking text becomes `reasoning_content`; signatures and redacted thinking are left out. */
export function convertAnthropicMessage(message: AnthropicMessage, options: { jsonTool: string | null; now: number }): ChatCompletion {
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  let jsonAnswered = false;
  for (const block of message.content) {
    if (block.type === 'text' && 'text' in block && typeof block.text === 'string') {
      text += block.text;
    } else if (block.type === 'thinking' && 'thinking' in block && typeof block.thinking === 'string') {
      reasoning += block.thinking;
    } else if (block.type === 'tool_use' && 'id' in block && typeof block.id === 'string' && 'name' in block && typeof block.name === 'string') {
      const input: unknown = 'input' in block ? block.input : {};
      if (options.jsonTool !== null && block.name === options.jsonTool) {
        // JSON mode through a forced tool: its input is the answer.
        text = JSON.stringify(input ?? {});
        jsonAnswered = true;
      } else {
        toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(input ?? {}) } });
      }
    }
  }
  let finishReason = mapAnthropicStopReason(message.stop_reason);
  if (jsonAnswered && finishReason === 'tool_calls') finishReason = 'stop';
  return {
    id: message.id,
    object: 'chat.completion',
    created: Math.floor(options.now / 1000),
    model: message.model,
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        content: text === '' && toolCalls.length > 0 ? null : text,
        ...(reasoning !== '' ? { reasoning_content: reasoning } : {}),
        refusal: null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      },
      finish_reason: finishReason,
      logprobs: null,
    }],
    usage: convertAnthropicUsage(message.usage),
  };
}
