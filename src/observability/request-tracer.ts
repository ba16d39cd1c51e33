/**
 * Loaded only when `tracing.enabled` (the OpenTelemetry SDK is not imported otherwise). Spans are
 * built after the answer from the request's events, with their real start and end times, so the
 * request path does no tracing work at all.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { ExportResultCode, parseTraceParent } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, RandomIdGenerator, SamplingDecision, TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { IdGenerator, ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';
import type { GatewayEvent } from '../core/index.js';
import { summaryToSpans } from './summary-to-spans.js';
import type { SpanPlanSettings } from './summary-to-spans.js';

export interface RequestTracerSettings extends SpanPlanSettings {
  /** The OTLP/HTTP traces URL. */
  endpoint: string;
  headers: Readonly<Record<string, string>>;
  sampleRatio: number;
  serviceName: string;
  maxQueueSpans: number;
  registry: Registry;
  /** Delay between exports (default 1 s). */
  exportDelayMs?: number | undefined;
}

export interface RequestTracer {
  handle(event: GatewayEvent): void;
  /**
   * At a request's start: the `traceparent` to send upstream, naming the server span this tracer
   * will build for the request (same trace id and span id), under the client's trace if it sent one.
   */
  upstreamTraceparent(incoming: string | null): string;
  /** Exports every span built so far. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Client traceparents kept between a request's start and its end; more in flight than this are traced without a parent. */
const MAX_PENDING_PARENTS = 100_000;

export function createRequestTracer(settings: RequestTracerSettings): RequestTracer {
  const dropped = new Counter({
    name: 'sluice_trace_spans_dropped_total', help: 'Spans dropped: the export queue was full or the export failed', registers: [settings.registry],
  });
  const exported = new Counter({
    name: 'sluice_trace_spans_exported_total', help: 'Spans the OTLP endpoint accepted', registers: [settings.registry],
  });
  const queue = { size: 0 };
  const exporter = countingExporter(new OTLPTraceExporter({ url: settings.endpoint, headers: { ...settings.headers } }), queue, exported, dropped);
  const batch = new BatchSpanProcessor(exporter, {
    // The SDK drops silently when its queue is full; the counting processor below refuses first, and counts.
    maxQueueSize: settings.maxQueueSpans + 1024,
    maxExportBatchSize: 1024,
    scheduledDelayMillis: settings.exportDelayMs ?? 1000,
  });
  const ids = new PresetIdGenerator();
  const rootSampler = new TraceIdRatioBasedSampler(settings.sampleRatio);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    idGenerator: ids,
    sampler: new ParentBasedSampler({ root: rootSampler }),
    spanProcessors: [countingProcessor(batch, queue, settings.maxQueueSpans, dropped)],
  });
  const tracer = provider.getTracer('sluice');
  const parents = new Map<string, { incoming: string | undefined; upstream: string | undefined }>();

  return {
    upstreamTraceparent(incoming) {
      const parent = incoming === null ? null : parseTraceParent(incoming);
      const spanId = ids.random.generateSpanId();
      if (parent !== null) return `00-${parent.traceId}-${spanId}-${parent.traceFlags & 1 ? '01' : '00'}`;
      // A new trace: the root sampler decides by trace id alone, so this agrees with the later span.
      const traceId = ids.random.generateTraceId();
      const sampled = rootSampler.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
      return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
    },
    handle(event) {
      if (event.type === 'request-start') {
        const incoming = event.traceparent ?? undefined;
        const upstream = event.upstreamTraceparent ?? undefined;
        if ((incoming !== undefined || upstream !== undefined) && parents.size < MAX_PENDING_PARENTS) {
          parents.set(event.requestId, { incoming, upstream });
        }
        return;
      }
      if (event.type !== 'request-end') return;
      const summary = event.summary;
      const pending = parents.get(summary.requestId);
      if (pending !== undefined) parents.delete(summary.requestId);
      const traceparent = pending?.incoming;
      const client = traceparent === undefined ? null : parseTraceParent(traceparent);
      let upstream = pending?.upstream === undefined ? null : parseTraceParent(pending.upstream);
      // Decide sampling before planning anything: a dropped trace costs one random id, not its spans.
      if (upstream !== null) {
        if ((upstream.traceFlags & 1) === 0) return;
      } else if (client !== null) {
        if ((client.traceFlags & 1) === 0) return;
      } else {
        const traceId = ids.random.generateTraceId();
        if (rootSampler.shouldSample(ROOT_CONTEXT, traceId).decision !== SamplingDecision.RECORD_AND_SAMPLED) return;
        upstream = { traceId, spanId: ids.random.generateSpanId(), traceFlags: 1 };
      }
      const planned = summaryToSpans(summary, settings);
      const built: Span[] = [];
      const contexts: Context[] = [];
      for (const plan of planned) {
        const parentContext = plan.parent === -1 ? parentOf(traceparent) : contexts[plan.parent] ?? ROOT_CONTEXT;
        // The server span takes the ids already sent upstream, so the upstream's spans hang under it.
        if (plan.parent === -1 && upstream !== null) ids.preset = { traceId: upstream.traceId, spanId: upstream.spanId };
        const span = tracer.startSpan(plan.name, {
          kind: plan.kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT,
          startTime: plan.startMs,
          attributes: plan.attributes,
        }, parentContext) as Span;
        ids.preset = null;
        if (plan.error) span.setStatus({ code: SpanStatusCode.ERROR });
        built.push(span);
        contexts.push(trace.setSpan(parentContext, span));
      }
      // Children end first, as they would have live.
      for (let index = built.length - 1; index >= 0; index -= 1) built[index]?.end(planned[index]?.endMs);
    },
    flush: () => provider.forceFlush(),
    close: () => provider.shutdown(),
  };
}

/** Random ids, except for the one span whose ids were chosen (and sent upstream) at the request's start. */
class PresetIdGenerator implements IdGenerator {
  readonly random = new RandomIdGenerator();
  preset: { traceId: string; spanId: string } | null = null;

  generateTraceId(): string {
    return this.preset?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.preset?.spanId ?? this.random.generateSpanId();
  }
}

function parentOf(traceparent: string | undefined): Context {
  if (traceparent === undefined) return ROOT_CONTEXT;
  const parent = parseTraceParent(traceparent);
  return parent === null ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true });
}

/** Refuses spans past the queue limit (counting them) instead of letting the batch processor drop them unseen. */
function countingProcessor(inner: SpanProcessor, queue: { size: number }, maxQueueSpans: number, dropped: Counter): SpanProcessor {
  return {
    onStart: (span, parentContext) => inner.onStart(span, parentContext),
    onEnd(span: ReadableSpan) {
      if (queue.size >= maxQueueSpans) {
        dropped.inc();
        return;
      }
      queue.size += 1;
      inner.onEnd(span);
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}

function countingExporter(inner: SpanExporter, queue: { size: number }, exported: Counter, dropped: Counter): SpanExporter {
  return {
    export(spans, resultCallback) {
      inner.export(spans, (result: ExportResult) => {
        queue.size = Math.max(0, queue.size - spans.length);
        if (result.code === ExportResultCode.SUCCESS) exported.inc(spans.length);
        else dropped.inc(spans.length);
        resultCallback(result);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}
