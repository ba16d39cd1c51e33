import { describe, expect, it } from 'vitest';
import { SseParser, readSseEvents } from './sse-parser.js';

describe('SseParser', () => {
  it('parses events split at any point, with CRLF, comments, event names and multi-line data', () => {
    const text = ': keep-alive\r\nevent: message_start\r\ndata: {"a":1}\r\n\r\ndata: line one\ndata: line two\n\nid: 7\ndata: [DONE]\n\n';
    for (let split = 0; split <= text.length; split += 1) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, split)), ...parser.push(text.slice(split)), ...parser.end()];
      expect(events).toEqual([
        { event: 'message_start', data: '{"a":1}' },
        { event: undefined, data: 'line one\nline two' },
        { event: undefined, data: '[DONE]' },
      ]);
    }
  });

  it('dispatches a last event that lacks its blank line at the end of input', () => {
    const parser = new SseParser();
    expect(parser.push('data: tail')).toEqual([]);
    expect(parser.end()).toEqual([{ event: undefined, data: 'tail' }]);
  });

  it('decodes UTF-8 split across byte chunks', async () => {
    const bytes = Buffer.from('data: héllo wörld\n\n', 'utf8');
    async function* pieces() {
      for (const byte of bytes) yield Buffer.from([byte]);
    }
    const events = [];
    for await (const event of readSseEvents(pieces())) events.push(event);
    expect(events).toEqual([{ event: undefined, data: 'héllo wörld' }]);
  });
});
