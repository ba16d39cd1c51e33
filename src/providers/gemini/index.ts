export { createGeminiProvider } from './gemini-provider.js';
export type { GeminiProviderSettings } from './gemini-provider.js';
export { GeminiStreamToChunks } from './gemini-stream-to-chunks.js';
export { convertGeminiResponse } from './convert-gemini-response.js';
export { convertGeminiUsage } from './convert-gemini-usage.js';
export { SKIP_THOUGHT_SIGNATURE, convertToGeminiContents } from './convert-to-gemini-contents.js';
export { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
export { readGeminiErrorBody } from './gemini-errors.js';
export { decodeToolCallId, encodeToolCallId } from './tool-call-id.js';
