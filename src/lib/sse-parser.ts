export interface SseEvent {
  /** The `event:` field, or undefined when the event had none. */
  event: string | undefined;
  data: string;
}

/**
 * Incremental parser for `text/event-stream` (the WHATWG rules): feed it decoded text as it
 * arrives, get back the complete events. Lines end with LF or CRLF (no vendor sends a lone CR).
 * Comments and `id:`/`retry:` fields are skipped.
 */
export class SseParser {
  private buffer = '';
  private eventName: string | undefined = undefined;
  private dataLines: string[] = [];

  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    this.buffer = this.buffer.length === 0 ? text : this.buffer + text;
    let start = 0;
    for (;;) {
      const newline = this.buffer.indexOf('\n', start);
      if (newline === -1) break;
      let line = this.buffer.slice(start, newline);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = newline + 1;
      const event = this.takeLine(line);
      if (event !== undefined) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** Ends the input: a last event without its blank line still counts. */
  end(): SseEvent[] {
    const rest = this.buffer;
    this.buffer = '';
    const events = rest.length > 0 ? this.push(rest + '\n') : [];
    const last = this.dispatch();
    if (last !== undefined) events.push(last);
    return events;
  }

  private takeLine(line: string): SseEvent | undefined {
    if (line.length === 0) return this.dispatch();
    if (line.charCodeAt(0) === 58 /* ':' */) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventName = value;
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    if (this.dataLines.length === 0) {
      this.eventName = undefined;
      return undefined;
    }
    const event: SseEvent = {
      event: this.eventName,
      data: this.dataLines.length === 1 ? (this.dataLines[0] ?? '') : this.dataLines.join('\n'),
    };
    this.dataLines = [];
    this.eventName = undefined;
    return event;
  }
}

/** Reads SSE events from a stream of text or bytes. */
export async function* readSseEvents(source: AsyncIterable<string | Buffer>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const piece of source) {
    const text = typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
    for (const event of parser.push(text)) yield event;
  }
  for (const event of parser.end()) yield event;
}
