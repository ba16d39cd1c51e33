/**
 * The floor: the least work a Node proxy can do. Runs as its own process:
 *
 *   node bare-proxy.mjs --port 9101 --upstream http://127.0.0.1:9100
 *
 * node:http server that reads the whole request body, forwards it through an undici Pool
 * (64 keep-alive connections) to the same path upstream, and answers with the upstream status,
 * content-type and body. JSON bodies are read whole and sent with content-length; SSE is piped
 * chunk by chunk. GET /health answers 200. Listens on 127.0.0.1 only.
 *
 * Self-contained on purpose (node: and undici imports only): the harness transpiles it to plain
 * JS so the process carries no TypeScript loader.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { Pool } from 'undici';

const HOST = '127.0.0.1';

function readArgument(argv: readonly string[], name: string): string {
  const index = argv.indexOf(name);
  const value = index >= 0 ? argv[index + 1] : undefined;
  if (value === undefined) {
    throw new Error('usage: bare-proxy --port <port> --upstream http://127.0.0.1:<port>');
  }
  return value;
}

const port = Number.parseInt(readArgument(process.argv, '--port'), 10);
const upstreamOrigin = new URL(readArgument(process.argv, '--upstream'));
if (upstreamOrigin.hostname !== HOST) {
  throw new Error(`bare proxy only forwards to ${HOST}`);
}

const upstream = new Pool(upstreamOrigin.origin, {
  connections: 64,
  pipelining: 1,
  keepAliveTimeout: 60_000,
});

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
    });
    request.once('end', () => resolve(chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

async function writeWithBackpressure(response: ServerResponse, chunk: Buffer): Promise<void> {
  if (!response.write(chunk)) {
    await Promise.race([once(response, 'drain'), once(response, 'close')]);
  }
}

async function forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  const upstreamResponse = await upstream.request({
    method: 'POST',
    path: request.url ?? '/',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const contentTypeHeader = upstreamResponse.headers['content-type'];
  const contentType = typeof contentTypeHeader === 'string' ? contentTypeHeader : 'application/octet-stream';
  if (contentType.startsWith('text/event-stream')) {
    response.writeHead(upstreamResponse.statusCode, { 'content-type': contentType, 'cache-control': 'no-cache' });
    response.once('close', () => {
      if (!response.writableFinished) {
        upstreamResponse.body.destroy();
      }
    });
    for await (const chunk of upstreamResponse.body as AsyncIterable<Buffer>) {
      await writeWithBackpressure(response, chunk);
    }
    response.end();
    return;
  }
  const payload = Buffer.from(await upstreamResponse.body.arrayBuffer());
  response.writeHead(upstreamResponse.statusCode, { 'content-type': contentType, 'content-length': payload.length });
  response.end(payload);
}

const server = createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': 15 });
    response.end('{"status":"ok"}');
    return;
  }
  forward(request, response).catch((error: unknown) => {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    response.writeHead(502, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: `bare proxy: ${message}`, type: 'upstream_error' } }));
  });
});

server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 0;

server.listen(port, HOST, () => {
  process.stdout.write(`bare proxy listening on http://${HOST}:${port} -> ${upstreamOrigin.origin}\n`);
});

function shutdown(): void {
  server.close();
  server.closeAllConnections();
  void upstream.destroy().finally(() => process.exit(0));
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
