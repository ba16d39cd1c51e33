export { createAnthropicProvider } from './anthropic-provider.js';
export type { AnthropicProviderSettings } from './anthropic-provider.js';
export { AnthropicStreamToChunks } from './anthropic-stream-to-chunks.js';
export { convertAnthropicMessage } from './convert-anthropic-message.js';
export { convertAnthropicUsage } from './convert-anthropic-usage.js';
export {
  ANTHROPIC_VERSION_2026, JSON_TOOL_NAME, isAnthropicVersion2026, convertToAnthropicMessages, defaultAnthropicMaxTokens, parseDataUrl,
} from './convert-to-anthropic-messages.js';
export { mapAnthropicStopReason } from './map-anthropic-stop-reason.js';
export { readAnthropicErrorBody } from './anthropic-errors.js';
