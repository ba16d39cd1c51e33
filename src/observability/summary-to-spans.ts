import { upstreamCallCount } from '../core/index.js';
import type { RequestSummary } from '../core/index.js';
import { attemptOutcome } from './attempt-outcome.js';

export type SpanAttributeValue = string | number | boolean | string[];

/** One span to build after the answer: times are epoch ms, `parent` indexes an earlier span (-1: the request's parent). */
export interface PlannedSpan {
  name: string;
  kind: 'server' | 'client';
  parent: number;
  startMs: number;
  endMs: number;
  attributes: Record<string, SpanAttributeValue>;
  error: boolean;
}

export interface SpanPlanSettings {
  /** Configured provider name → the GenAI `gen_ai.provider.name` (openai, anthropic, gcp.gemini, …). */
  providerSystems: ReadonlyMap<string, string>;
  /** Configured provider name → its base URL, for server.address and server.port on attempt spans. */
  providerUrls: ReadonlyMap<string, string>;
  captureContent: boolean;
  maxContentChars: number;
}

/** OpenTelemetry GenAI semantic conventions, the attribute set of semconv 1.37+ (all `Development` status). */
const OPERATION_BY_ENDPOINT: Record<string, string> = { 'chat.completions': 'chat', messages: 'chat', embeddings: 'embeddings' };

/**
 * Plans a request's spans from its summary: a SERVER span for the HTTP request, a CLIENT span
 * `{operation} {model}` covering every attempt (as the GenAI conventions ask, retries included),
 * and one CLIENT span per upstream attempt beneath it. Content only when capture is on.
 */
export function summaryToSpans(summary: RequestSummary, settings: SpanPlanSettings): PlannedSpan[] {
  const route = `/v1/${summary.endpoint.replaceAll('.', '/')}`;
  const server: PlannedSpan = {
    name: `POST ${route}`,
    kind: 'server',
    parent: -1,
    startMs: summary.startedAt,
    endMs: summary.endedAt,
    error: summary.status >= 500,
    attributes: compact({
      'http.request.method': 'POST',
      'http.route': route,
      'url.path': route,
      'http.response.status_code': summary.status,
      'sluice.request_id': summary.requestId,
      'sluice.key_id': summary.keyId,
      'sluice.tenant_id': summary.tenantId,
      'error.type': summary.errorCode,
    }),
  };
  const spans = [server];
  const operation = OPERATION_BY_ENDPOINT[summary.endpoint];
  if (operation === undefined || (summary.attempts.length === 0 && summary.provider === null)) return spans;

  const usage = summary.usage;
  const firstAttempt = summary.attempts[0];
  const provider = summary.provider;
  spans.push({
    name: `${operation} ${summary.requestedModel ?? ''}`.trim(),
    kind: 'client',
    parent: 0,
    startMs: firstAttempt?.startedAt ?? summary.startedAt,
    endMs: summary.endedAt,
    error: summary.errorCode !== null,
    attributes: compact({
      'gen_ai.operation.name': operation,
      'gen_ai.provider.name': provider === null ? null : settings.providerSystems.get(provider) ?? provider,
      'gen_ai.request.model': summary.requestedModel,
      'gen_ai.response.model': summary.providerModel,
      'gen_ai.request.stream': summary.stream,
      'gen_ai.response.finish_reasons': summary.finishReasons === undefined ? null : [...summary.finishReasons],
      'gen_ai.usage.input_tokens': usage?.promptTokens,
      'gen_ai.usage.output_tokens': usage?.completionTokens,
      'gen_ai.usage.cache_read.input_tokens': usage?.cachedTokens,
      'gen_ai.usage.cache_write.input_tokens': usage?.cacheWriteTokens,
      'gen_ai.usage.reasoning.output_tokens': usage?.reasoningTokens,
      'gen_ai.response.time_to_first_chunk': summary.timeToFirstTokenMs === null ? null : summary.timeToFirstTokenMs / 1000,
      'error.type': summary.errorCode,
      'sluice.provider': provider,
      'sluice.cost_usd': summary.costUsd,
      'sluice.cache': summary.cacheStatus,
      'sluice.attempts': upstreamCallCount(summary.attempts),
      'sluice.fallback': summary.fallback,
      ...(settings.captureContent ? contentAttributes(summary, settings.maxContentChars) : {}),
    }),
  });
  summary.attempts.forEach((attempt, index) => {
    const url = parseUrl(settings.providerUrls.get(attempt.provider));
    const outcome = attemptOutcome(attempt);
    spans.push({
      name: 'POST',
      kind: 'client',
      parent: 1,
      startMs: attempt.startedAt,
      endMs: attempt.startedAt + attempt.durationMs,
      error: outcome !== 'success' && outcome !== 'cancelled',
      attributes: compact({
        'http.request.method': 'POST',
        'server.address': url?.hostname,
        'server.port': url === null ? null : Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        'http.response.status_code': attempt.status,
        'gen_ai.provider.name': settings.providerSystems.get(attempt.provider) ?? attempt.provider,
        'gen_ai.request.model': attempt.model,
        'error.type': attempt.errorCode,
        'sluice.provider': attempt.provider,
        'sluice.attempt.index': index,
        'sluice.attempt.kind': attempt.kind ?? 'first',
        'sluice.attempt.outcome': outcome,
        'sluice.hedge': attempt.kind === 'hedge',
      }),
    });
  });
  return spans;
}

/** `gen_ai.input.messages` / `gen_ai.output.messages` in the conventions' parts shape, truncated. */
function contentAttributes(summary: RequestSummary, maxChars: number): Record<string, string | null> {
  const body = summary.requestBody;
  const messages = body !== null && typeof body === 'object' && 'messages' in body && Array.isArray(body.messages) ? body.messages : null;
  const input = messages === null ? null : messages.map((message: unknown) => {
    const { role, content } = (message ?? {}) as { role?: unknown; content?: unknown };
    return { role: typeof role === 'string' ? role : 'user', parts: [{ type: 'text', content: typeof content === 'string' ? content : JSON.stringify(content) }] };
  });
  const output = summary.responseBody === undefined || summary.responseBody === null ? null
    : [{ role: 'assistant', parts: [{ type: 'text', content: summary.responseBody }], finish_reason: summary.finishReasons?.[0] ?? 'stop' }];
  return {
    'gen_ai.input.messages': input === null ? null : truncate(JSON.stringify(input), maxChars),
    'gen_ai.output.messages': output === null ? null : truncate(JSON.stringify(output), maxChars),
  };
}

function truncate(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…`;
}

function parseUrl(url: string | undefined): URL | null {
  if (url === undefined) return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function compact(attributes: Record<string, SpanAttributeValue | null | undefined>): Record<string, SpanAttributeValue> {
  const result: Record<string, SpanAttributeValue> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== null && value !== undefined) result[key] = value;
  }
  return result;
}
