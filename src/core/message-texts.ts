import type { ChatMessage } from './chat.js';
import { GatewayError } from './gateway-error.js';

/**
 * The text pieces of a message that may only hold text (system, developer, assistant, tool), for
 * vendors that take plain text there; any other part is a 400 naming it under `param`.
 */
export function messageTexts(message: ChatMessage, param: string): string[] {
  const content = message.content;
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return [content];
  return content.map((part, index) => {
    if (part.type === 'text') return part.text;
    if (part.type === 'refusal') return part.refusal;
    throw new GatewayError('invalid_request', `A ${message.role} message may only contain text.`, { param: `${param}.content[${index}]` });
  });
}
