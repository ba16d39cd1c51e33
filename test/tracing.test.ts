/**
 * Traces through a real gateway: spans built after the answer reach an in-process OTLP/HTTP
 * receiver with GenAI attributes and the right parentage under the client's traceparent.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../src/config/index.js';
import { openaiCompletion, openaiError, startMockUpstream } from './mock-upstream/index.js';
import type { MockUpstream, RecordedRequest } from './mock-upstream/index.js';
import { startOtlpReceiver } from './support/otlp-receiver.js';
import type { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver.js';
import { parsePrometheusText, sumOf } from './support/prometheus-text.js';
import { TEST_MASTER_KEY, startTestGateway } from './support/start-gateway.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';
const messages: Array<{ role: 'user'; content: string }> = [{ role: 'user', content: 'a secret prompt' }];

let upstream: MockUpstream;
let receiver: OtlpReceiver;

beforeEach(async () => {
  [upstream, receiver] = await Promise.all([startMockUpstream(), startOtlpReceiver()]);
  upstream.route('/v1/chat/completions', (request: RecordedRequest) => {
    const body = request.body as { model: string };
    return body.model === 'gpt-fail' ? openaiError(500, 'boom') : openaiCompletion({ model: body.model, content: 'a secret answer', usage: { prompt_tokens: 5, completion_tokens: 3 } });
  });
});

afterEach(async () => {
  await Promise.all([upstream.close(), receiver.close()]);
});

async function traffic(extra: ConfigInput, headers: Record<string, string>): Promise<{ spans: ReceivedSpan[]; metrics: string }> {
  const test = await startTestGateway({
    logging: { level: 'silent', request_log: { enabled: false } },
    providers: [
      { name: 'primary', type: 'openai', base_url: `${upstream.url}/v1` },
    ],
    models: [{ name: 'resilient', targets: [{ provider: 'primary', model: 'gpt-fail' }, { provider: 'primary', model: 'gpt-b' }], retry: { max_attempts: 1 } }],
    tracing: { enabled: true, endpoint: receiver.url, ...(extra.tracing ?? {}) },
    ...extra,
  });
  const client = new OpenAI({ apiKey: TEST_MASTER_KEY, baseURL: `${test.url}/v1`, maxRetries: 0, defaultHeaders: headers });
  await client.chat.completions.create({ model: 'resilient', messages });
  const metrics = await (await fetch(`${test.url}/metrics`)).text();
  // Closing flushes the span queue.
  await test.close();
  return { spans: receiver.spans, metrics };
}

describe('tracing', () => {
  it('sends a server span under the client\'s traceparent, a chat span, and one span per attempt, without content', async () => {
    const { spans, metrics } = await traffic({}, { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` });
    expect(spans.map((span) => span.name).sort()).toEqual(['POST', 'POST', 'POST /v1/chat/completions', 'chat resilient']);
    const server = spans.find((span) => span.kind === 2);
    const chat = spans.find((span) => span.name === 'chat resilient');
    const attempts = spans.filter((span) => span.name === 'POST');
    expect(server).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID, serviceName: 'sluice' });
    expect(server?.attributes).toMatchObject({ 'http.route': '/v1/chat/completions', 'http.response.status_code': 200 });
    expect(chat).toMatchObject({ kind: 3, traceId: TRACE_ID, parentSpanId: server?.spanId });
    expect(chat?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'resilient',
      'gen_ai.response.model': 'gpt-b',
      'gen_ai.usage.input_tokens': 5,
      'gen_ai.usage.output_tokens': 3,
      'sluice.attempts': 2,
    });
    expect(attempts.map((span) => span.parentSpanId)).toEqual([chat?.spanId, chat?.spanId]);
    expect(attempts.map((span) => span.attributes['sluice.attempt.outcome']).sort()).toEqual(['server_error', 'success']);
    const failed = attempts.find((span) => span.attributes['sluice.attempt.outcome'] === 'server_error');
    expect(failed?.attributes).toMatchObject({ 'http.response.status_code': 500, 'server.address': '127.0.0.1', 'server.port': upstream.port });
    expect(failed?.status.code).toBe(2);
    expect(JSON.stringify(spans)).not.toContain('secret');
    expect(sumOf(parsePrometheusText(metrics), 'sluice_trace_spans_dropped_total')).toBe(0);
    // Propagation is opt-in: by default the upstream sees no traceparent.
    expect(upstream.requests.map((request) => request.headers.traceparent)).toEqual([undefined, undefined]);
  });

  it('forwards a traceparent upstream when propagate_upstream is on: the client\'s trace, the server span as parent', async () => {
    const { spans } = await traffic({ tracing: { enabled: true, endpoint: receiver.url, propagate_upstream: true } }, {
      traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`,
    });
    const server = spans.find((span) => span.kind === 2);
    expect(server).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_SPAN_ID });
    // Every attempt (the failing one and the fallback) carries the same header, naming the server span.
    expect(upstream.requests.map((request) => request.headers.traceparent)).toEqual([
      `00-${TRACE_ID}-${server?.spanId}-01`, `00-${TRACE_ID}-${server?.spanId}-01`,
    ]);
  });

  it('forwards a new trace\'s traceparent without a client one, sampled as the spans are', async () => {
    const { spans } = await traffic({ tracing: { enabled: true, endpoint: receiver.url, propagate_upstream: true } }, {});
    const server = spans.find((span) => span.kind === 2);
    expect(server?.parentSpanId).toBe('');
    expect(upstream.requests[0]?.headers.traceparent).toBe(`00-${server?.traceId}-${server?.spanId}-01`);

    const exported = spans.length;
    await traffic({ tracing: { enabled: true, endpoint: receiver.url, propagate_upstream: true, sample_ratio: 0 } }, {});
    expect(receiver.spans).toHaveLength(exported);
    expect(upstream.requests[2]?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  });

  it('starts a new trace without a traceparent, and puts content on the chat span only when capture is on', async () => {
    const { spans } = await traffic({ logging: { level: 'silent', log_bodies: true }, tracing: { enabled: true, endpoint: receiver.url, capture_content: true } }, {});
    const server = spans.find((span) => span.kind === 2);
    expect(server?.parentSpanId).toBe('');
    expect(server?.traceId).not.toBe(TRACE_ID);
    const chat = spans.find((span) => span.name === 'chat resilient');
    expect(JSON.parse(String(chat?.attributes['gen_ai.input.messages']))).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'a secret prompt' }] }]);
    expect(String(chat?.attributes['gen_ai.output.messages'])).toContain('a secret answer');
  });

  it('sends nothing for traces the sampler drops', async () => {
    const { spans } = await traffic({ tracing: { enabled: true, endpoint: receiver.url, sample_ratio: 0 } }, {});
    expect(spans).toEqual([]);
  });
});
