/**
 * Lean OpenAI-compatible upstream for the benchmark. Runs as its own process:
 *
 *   node mock-upstream-server.mjs --port 9100
 *
 * POST /v1/chat/completions answers a fixed ~1.2 KB chat.completion immediately, or, when the
 * body contains "stream": true, an SSE stream: a role chunk at once, 19 content chunks 5 ms
 * apart, a finish chunk, a usage chunk (choices: []) and `data: [DONE]`.
 * GET /health answers 200. Listens on 127.0.0.1 only.
 *
 * Self-contained on purpose (node: imports only): the harness transpiles it to plain JS so the
 * process carries no TypeScript loader.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const HOST = '127.0.0.1';
const MODEL = 'bench-model';
const CONTENT_CHUNK_COUNT = 19;
const CHUNK_INTERVAL_MILLISECONDS = 5;

function readPortArgument(argv: readonly string[]): number {
  const index = argv.indexOf('--port');
  const value = index >= 0 ? Number.parseInt(argv[index + 1] ?? '', 10) : Number.NaN;
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error('usage: mock-upstream-server --port <port>');
  }
  return value;
}

const created = Math.floor(Date.now() / 1000);
const usage = {
  prompt_tokens: 24,
  completion_tokens: 19,
  total_tokens: 43,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: {
    reasoning_tokens: 0,
    audio_tokens: 0,
    accepted_prediction_tokens: 0,
    rejected_prediction_tokens: 0,
  },
};

const completionBody = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench0000000000000000000000001',
    object: 'chat.completion',
    created,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content:
            'Hello, benchmark! This is a fixed answer from the Sluice mock upstream. It is long enough ' +
            'to look like a real short completion, so that proxies have a realistic amount of bytes ' +
            'to move on every request. Nothing in it changes between requests, which keeps the ' +
            'mock cheap and the measurements about the proxy rather than about the upstream. ' +
            'Thanks for reading all the way to the end of this sentence, dear load generator. ' +
            'Have a pleasant and uneventful run. The numbers you are about to collect compare the ' +
            'gateway against a bare proxy in the same round, so keep the machine quiet, run in the ' +
            'foreground, and repeat any round marked as busy.',
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
    service_tier: 'default',
    system_fingerprint: 'fp_bench_mock',
  }),
);

const streamId = 'chatcmpl-bench-stream-000000000000000001';

function sseEvent(choices: readonly object[], extra: object = {}): string {
  const chunk = {
    id: streamId,
    object: 'chat.completion.chunk',
    created,
    model: MODEL,
    system_fingerprint: 'fp_bench_mock',
    choices,
    ...extra,
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

const roleEvent = sseEvent([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
const contentEvents: string[] = [];
for (let index = 0; index < CONTENT_CHUNK_COUNT; index += 1) {
  const text = index === 0 ? 'Hello' : ` word${index}`;
  contentEvents.push(sseEvent([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]));
}
const finishEvent = sseEvent([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
const usageEvent = sseEvent([], { usage });
const doneEvent = 'data: [DONE]\n\n';

// A substring-level test is all a fixture needs: no JSON.parse on the hot path.
const streamFlag = /"stream"\s*:\s*true/;

function sendCompletion(response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-length': completionBody.length,
  });
  response.end(completionBody);
}

function sendStream(response: ServerResponse): void {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
  });
  response.write(roleEvent);
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < contentEvents.length) {
      response.write(contentEvents[sent] ?? '');
      sent += 1;
      return;
    }
    clearInterval(timer);
    response.write(finishEvent);
    response.write(usageEvent);
    response.end(doneEvent);
  }, CHUNK_INTERVAL_MILLISECONDS);
  response.once('close', () => clearInterval(timer));
}

function handleChatCompletion(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
  });
  request.once('end', () => {
    const body = chunks.length === 1 ? (chunks[0] ?? Buffer.alloc(0)) : Buffer.concat(chunks);
    if (streamFlag.test(body.toString('latin1'))) {
      sendStream(response);
    } else {
      sendCompletion(response);
    }
  });
}

const modelsBody = Buffer.from(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model', created, owned_by: 'bench' }] }));

const server = createServer((request, response) => {
  const path = request.url ?? '/';
  if (request.method === 'POST' && path.startsWith('/v1/chat/completions')) {
    handleChatCompletion(request, response);
    return;
  }
  if (request.method === 'GET' && path === '/health') {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': 15 });
    response.end('{"status":"ok"}');
    return;
  }
  if (request.method === 'GET' && path === '/v1/models') {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': modelsBody.length });
    response.end(modelsBody);
    return;
  }
  if (request.method === 'POST' && path === '/v1/traces') {
    // The OTLP/HTTP receiver for the tracing variants: read the batch, accept it.
    request.resume();
    request.once('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      response.end('{}');
    });
    return;
  }
  request.resume();
  response.writeHead(404, { 'content-type': 'application/json' });
  response.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
});

server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.requestTimeout = 0;

const port = readPortArgument(process.argv);
server.listen(port, HOST, () => {
  process.stdout.write(`mock upstream listening on http://${HOST}:${port} (completion ${completionBody.length} bytes)\n`);
});

function shutdown(): void {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
