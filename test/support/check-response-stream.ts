/**
 * A checker for the Responses stream grammar as strict clients (the openai SDK's accumulator,
 * Codex, the Vercel AI SDK) rely on it. Returns every problem found; an empty list means the
 * stream is well formed.
 */

export interface SseEvent {
  /** The `event:` line, or null when there was none. */
  event: string | null;
  data: Record<string, unknown>;
}

const KNOWN_TYPES = new Set([
  'response.created', 'response.in_progress', 'response.output_item.added', 'response.output_item.done',
  'response.content_part.added', 'response.content_part.done', 'response.output_text.delta', 'response.output_text.done',
  'response.refusal.delta', 'response.refusal.done', 'response.function_call_arguments.delta',
  'response.function_call_arguments.done', 'response.completed', 'response.incomplete', 'response.failed', 'error',
]);
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Parses an SSE body (`event:` + `data:` lines, blank-line separated). */
export function parseSseBody(body: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of body.split('\n\n')) {
    if (block.trim() === '') continue;
    let event: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    events.push({ event, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
  }
  return events;
}

interface OpenItem {
  id: string;
  type: string;
  done: boolean;
  /** content_index → whether that part is still open. */
  parts: Map<number, boolean>;
}

export function checkResponseStream(events: readonly SseEvent[]): string[] {
  const problems: string[] = [];
  const items: OpenItem[] = [];
  const doneItems: unknown[] = [];
  let lastSequence = -1;
  let responseId: string | null = null;
  let terminal: SseEvent | null = null;
  events.forEach((entry, index) => {
    const data = entry.data;
    const type = String(data.type);
    const where = `event ${index} (${type})`;
    if (terminal !== null) problems.push(`${where}: after the terminal event`);
    if (!KNOWN_TYPES.has(type)) problems.push(`${where}: unknown event type`);
    if (entry.event !== type) problems.push(`${where}: event line "${String(entry.event)}" differs from type`);
    const sequence = data.sequence_number;
    if (typeof sequence !== 'number' || sequence <= lastSequence) problems.push(`${where}: sequence_number ${String(sequence)} not above ${lastSequence}`);
    else lastSequence = sequence;
    if (index === 0 && type !== 'response.created') problems.push(`${where}: the stream must open with response.created`);
    if (index === 1 && type !== 'response.in_progress') problems.push(`${where}: response.in_progress must follow response.created`);
    const response = data.response as { id?: unknown; output?: unknown } | undefined;
    if (response !== undefined) {
      if (responseId === null && typeof response.id === 'string') responseId = response.id;
      else if (response.id !== responseId) problems.push(`${where}: response id ${String(response.id)} differs from ${String(responseId)}`);
    }
    const outputIndex = data.output_index;
    const item = typeof outputIndex === 'number' ? items[outputIndex] : undefined;
    switch (type) {
      case 'response.output_item.added': {
        const added = data.item as { id?: unknown; type?: unknown };
        if (outputIndex !== items.length) problems.push(`${where}: output_index ${String(outputIndex)}, expected ${items.length}`);
        if (items.some((open) => !open.done)) problems.push(`${where}: an item opened while another is open`);
        items.push({ id: String(added.id), type: String(added.type), done: false, parts: new Map() });
        break;
      }
      case 'response.output_item.done': {
        const finished = data.item as { id?: unknown; name?: unknown; type?: unknown };
        if (item === undefined || item.done) problems.push(`${where}: no open item at output_index ${String(outputIndex)}`);
        else {
          if (finished.id !== item.id) problems.push(`${where}: item id ${String(finished.id)} differs from ${item.id}`);
          if ([...item.parts.values()].some((open) => open)) problems.push(`${where}: a content part is still open`);
          if (finished.type === 'function_call' && (typeof finished.name !== 'string' || finished.name === '')) {
            problems.push(`${where}: function_call item without a name`);
          }
          item.done = true;
          doneItems.push(data.item);
        }
        break;
      }
      case 'response.content_part.added':
      case 'response.content_part.done':
      case 'response.output_text.delta':
      case 'response.output_text.done':
      case 'response.refusal.delta':
      case 'response.refusal.done': {
        if (item === undefined || item.done || item.type !== 'message') {
          problems.push(`${where}: outside an open message item`);
          break;
        }
        if (data.item_id !== item.id) problems.push(`${where}: item_id ${String(data.item_id)} differs from ${item.id}`);
        const contentIndex = Number(data.content_index);
        if (type === 'response.content_part.added') {
          if (item.parts.has(contentIndex)) problems.push(`${where}: content_index ${contentIndex} opened twice`);
          item.parts.set(contentIndex, true);
        } else if (item.parts.get(contentIndex) !== true) {
          problems.push(`${where}: content part ${contentIndex} is not open`);
        } else if (type === 'response.content_part.done') {
          item.parts.set(contentIndex, false);
        }
        if (type === 'response.output_text.delta' && !Array.isArray(data.logprobs)) problems.push(`${where}: logprobs must be an array`);
        break;
      }
      case 'response.function_call_arguments.delta':
      case 'response.function_call_arguments.done':
        if (item === undefined || item.done || item.type !== 'function_call') problems.push(`${where}: outside an open function_call item`);
        else if (data.item_id !== item.id) problems.push(`${where}: item_id differs`);
        if (type === 'response.function_call_arguments.done' && (typeof data.name !== 'string' || data.name === '')) {
          problems.push(`${where}: arguments.done without a name`);
        }
        break;
      default:
        if (TERMINAL.has(type)) terminal = entry;
    }
  });
  if (terminal === null) {
    problems.push('the stream has no terminal event');
    return problems;
  }
  const finalEvent: SseEvent = terminal;
  const finalType = String(finalEvent.data.type);
  const final = finalEvent.data.response as { output?: unknown; status?: unknown };
  if (finalType !== 'response.failed') {
    if (items.some((open) => !open.done)) problems.push('an item was never closed');
    if (JSON.stringify(final.output) !== JSON.stringify(doneItems)) problems.push('the final output differs from the items streamed');
  }
  const expectedStatus = { 'response.completed': 'completed', 'response.incomplete': 'incomplete', 'response.failed': 'failed' }[finalType];
  if (final.status !== expectedStatus) problems.push(`${finalType} carries status ${String(final.status)}`);
  return problems;
}
