import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Registry } from 'prom-client';

/** Prometheus text and its content type: what GET /metrics serves. */
export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

const READY = 'sluice:metrics-ready';
const SCRAPE_REQUEST = 'sluice:scrape-request';
const SCRAPE_RESPONSE = 'sluice:scrape-response';
const COLLECT_REQUEST = 'sluice:collect-request';
const COLLECT_RESPONSE = 'sluice:collect-response';

interface Ready { type: typeof READY }
interface ScrapeRequest { type: typeof SCRAPE_REQUEST; id: number }
interface ScrapeResponse { type: typeof SCRAPE_RESPONSE; id: number; text?: string; error?: string }
interface CollectRequest { type: typeof COLLECT_REQUEST; id: number }
interface CollectResponse { type: typeof COLLECT_RESPONSE; id: number; metrics?: MetricsJson; error?: string }

/** One process: the registry itself. */
export function localMetricsSource(registry: Registry): MetricsSource {
  return { contentType: registry.contentType, render: () => registry.metrics() };
}

/**
 * A worker of `sluice start --workers N`. A scrape lands on whichever worker the kernel picks, so
 * the worker asks the primary, which collects every worker's registry over IPC and answers the
 * whole group (counters and histograms summed, gauges by their own aggregator, as prom-client's
 * AggregatorRegistry does). Counters then never appear to go backwards between scrapes.
 */
export function clusterWorkerMetricsSource(registry: Registry, timeoutMs = 5000): MetricsSource {
  let nextId = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (isMessage<CollectRequest>(message, COLLECT_REQUEST)) {
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: COLLECT_RESPONSE, id: message.id, metrics } satisfies CollectResponse),
        (error: unknown) => process.send?.({ type: COLLECT_RESPONSE, id: message.id, error: errorText(error) } satisfies CollectResponse),
      );
      return;
    }
    if (!isMessage<ScrapeResponse>(message, SCRAPE_RESPONSE)) return;
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.text !== undefined) waiter.resolve(message.text);
    else waiter.reject(new Error(message.error ?? 'the primary could not collect metrics'));
  });
  // Only now can this worker answer a collection: a worker still loading would never answer one,
  // and the primary would wait for it until the scrape timed out.
  process.send?.({ type: READY } satisfies Ready);
  return {
    contentType: registry.contentType,
    render: () => new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('the primary did not answer the scrape in time'));
      }, timeoutMs);
      timer.unref();
      pending.set(id, {
        resolve: (text) => { clearTimeout(timer); resolve(text); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      });
      process.send?.({ type: SCRAPE_REQUEST, id } satisfies ScrapeRequest);
    }),
  };
}

/**
 * The primary of `--workers N`: answers each worker's scrape with the sum over every worker that
 * has said it is ready (a worker still starting has counted nothing yet).
 */
export function serveClusterMetrics(timeoutMs = 4000): void {
  const ready = new Set<Worker>();
  let nextId = 0;
  const collections = new Map<number, { waiting: Set<Worker>; parts: MetricsJson[]; finish: (error: string | null) => void }>();
  cluster.on('exit', (worker) => {
    ready.delete(worker);
    // A worker that died mid-collection has nothing more to give; the others still count.
    for (const collection of collections.values()) {
      if (collection.waiting.delete(worker) && collection.waiting.size === 0) collection.finish(null);
    }
  });
  cluster.on('message', (worker, message: unknown) => {
    if (isMessage<Ready>(message, READY)) {
      ready.add(worker);
    } else if (isMessage<CollectResponse>(message, COLLECT_RESPONSE)) {
      const collection = collections.get(message.id);
      if (collection === undefined || !collection.waiting.delete(worker)) return;
      if (message.metrics === undefined) collection.finish(message.error ?? 'a worker could not read its metrics');
      else {
        collection.parts.push(message.metrics);
        if (collection.waiting.size === 0) collection.finish(null);
      }
    } else if (isMessage<ScrapeRequest>(message, SCRAPE_REQUEST)) {
      const id = nextId++;
      const answer = (response: Omit<ScrapeResponse, 'type' | 'id'>) => {
        if (worker.isConnected()) worker.send({ type: SCRAPE_RESPONSE, id: message.id, ...response } satisfies ScrapeResponse);
      };
      const timer = setTimeout(() => collections.get(id)?.finish('a worker did not answer the collection in time'), timeoutMs);
      timer.unref();
      const collection = {
        waiting: new Set([...ready].filter((each) => each.isConnected())),
        parts: [] as MetricsJson[],
        finish: (error: string | null) => {
          if (!collections.delete(id)) return;
          clearTimeout(timer);
          if (error !== null) {
            answer({ error });
            return;
          }
          AggregatorRegistry.aggregate(collection.parts).metrics().then(
            (text) => answer({ text }),
            (failure: unknown) => answer({ error: errorText(failure) }),
          );
        },
      };
      collections.set(id, collection);
      for (const each of collection.waiting) each.send({ type: COLLECT_REQUEST, id } satisfies CollectRequest);
      if (collection.waiting.size === 0) collection.finish(null);
    }
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
