import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  MockJsonReply,
  MockReply,
  MockResetAfterBytesReply,
  MockSseReply,
  MockTextReply,
  SseEvent,
} from './mock-reply.js';

/** Everything needed to write one reply onto one HTTP exchange. */
export interface ReplyTarget {
  response: ServerResponse;
  socket: Socket;
  /** Aborted when the exchange closes, so pending delays stop. */
  signal: AbortSignal;
  /** Called right before the server itself cuts the connection, so it is not reported as a client abort. */
  markServerTermination(): void;
}

const DONE_FRAME = 'data: [DONE]\n\n';

export function formatSseEvent(event: SseEvent): string {
  const data = typeof event.data === 'string' ? event.data : JSON.stringify(event.data);
  const eventLine = event.event === undefined ? '' : `event: ${event.event}\n`;
  return `${eventLine}data: ${data}\n\n`;
}

export async function writeMockReply(reply: MockReply, target: ReplyTarget): Promise<void> {
  switch (reply.kind) {
    case 'json':
      return writeJson(reply, target);
    case 'text':
      return writeText(reply, target);
    case 'sse':
      return writeSse(reply, target);
    case 'hang':
      return;
    case 'reset':
      target.markServerTermination();
      target.socket.resetAndDestroy();
      return;
    case 'reset-after-bytes':
      return writeResetAfterBytes(reply, target);
  }
}

async function writeJson(reply: MockJsonReply, target: ReplyTarget): Promise<void> {
  if (!(await pause(reply.delayMs, target.signal))) return;
  writeComplete(target.response, reply.status ?? 200, 'application/json', reply.headers, JSON.stringify(reply.body));
}

async function writeText(reply: MockTextReply, target: ReplyTarget): Promise<void> {
  if (!(await pause(reply.delayMs, target.signal))) return;
  writeComplete(target.response, reply.status ?? 200, 'text/html; charset=utf-8', reply.headers, reply.body);
}

function writeComplete(
  response: ServerResponse,
  status: number,
  contentType: string,
  extraHeaders: Record<string, string> | undefined,
  body: string,
): void {
  const defaults = { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) };
  response.writeHead(status, mergeHeaders(defaults, extraHeaders));
  response.end(body);
}

async function writeSse(reply: MockSseReply, target: ReplyTarget): Promise<void> {
  const { response, signal } = target;
  if (!(await pause(reply.delayMs, signal))) return;
  const defaults = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };
  response.writeHead(reply.status ?? 200, mergeHeaders(defaults, reply.headers));
  if (isImmediateStream(reply)) {
    // Hot path for benchmarks: one write instead of one per event.
    response.end(reply.events.map(formatSseEvent).join('') + (reply.done === true ? DONE_FRAME : ''));
    return;
  }
  response.flushHeaders();

  const events = reply.events;
  const stallAt = clampIndex(reply.stallAfter, events.length);
  const resetAt = clampIndex(reply.resetAfter, events.length);
  let lastWrite: Promise<void> = Promise.resolve();
  for (let index = 0; index <= events.length; index += 1) {
    if (index === stallAt) return;
    if (index === resetAt) {
      await lastWrite;
      terminate(target);
      return;
    }
    const event = events[index];
    if (event === undefined) break;
    if (!(await pause(event.delayMs, signal))) return;
    lastWrite = writeChunk(response, formatSseEvent(event));
  }
  if (reply.done === true) response.end(DONE_FRAME);
  else response.end();
}

async function writeResetAfterBytes(reply: MockResetAfterBytesReply, target: ReplyTarget): Promise<void> {
  const body = Buffer.from(reply.body);
  const defaults = { 'content-type': 'application/json', 'content-length': String(body.length) };
  target.response.writeHead(reply.status ?? 200, mergeHeaders(defaults, reply.headers));
  target.response.flushHeaders();
  await writeChunk(target.response, body.subarray(0, Math.max(0, reply.bytes)));
  terminate(target);
}

/** Destroying only after the write callback makes sure the written bytes reached the kernel first. */
function terminate(target: ReplyTarget): void {
  target.markServerTermination();
  target.socket.destroy();
}

function writeChunk(response: ServerResponse, chunk: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (response.destroyed) {
      resolve();
      return;
    }
    // Errors surface as the exchange closing, which is tracked elsewhere.
    response.write(chunk, () => resolve());
  });
}

function isImmediateStream(reply: MockSseReply): boolean {
  if (reply.stallAfter !== undefined || reply.resetAfter !== undefined) return false;
  return reply.events.every((event) => event.delayMs === undefined || event.delayMs <= 0);
}

function clampIndex(value: number | undefined, length: number): number | undefined {
  return value === undefined ? undefined : Math.min(Math.max(0, value), length);
}

/** Resolves true after the delay, false if the exchange closed meanwhile. No delay means no await. */
async function pause(delayMs: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (delayMs === undefined || delayMs <= 0) return true;
  try {
    await sleep(delayMs, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function mergeHeaders(
  defaults: Record<string, string>,
  overrides: Record<string, string> | undefined,
): Record<string, string> {
  if (overrides === undefined) return defaults;
  const merged = { ...defaults };
  for (const [name, value] of Object.entries(overrides)) merged[name.toLowerCase()] = value;
  return merged;
}
