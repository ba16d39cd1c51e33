import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Commits a 200 event stream: the answer's headers plus those that keep proxies from buffering it. */
export function writeSseHead(response: ServerResponse, headers: OutgoingHttpHeaders): void {
  response.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
}
