import cluster from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Registry } from 'prom-client';

/** Prometheus text and its content type: what GET /metrics serves. */
export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

const SCRAPE_REQUEST = 'sluice:scrape-request';
const SCRAPE_RESPONSE = 'sluice:scrape-response';

interface ScrapeRequest { type: typeof SCRAPE_REQUEST; id: number }
interface ScrapeResponse { type: typeof SCRAPE_RESPONSE; id: number; text?: string; error?: string }

/** One process: the registry itself. */
export function localMetricsSource(registry: Registry): MetricsSource {
  return { contentType: registry.contentType, render: () => registry.metrics() };
}

/**
 * A worker of `sluice start --workers N`. A scrape lands on whichever worker the kernel picks, so
 * the worker asks the primary, which collects every worker's registry over IPC (prom-client's
 * AggregatorRegistry: counters and histograms summed, gauges by their own aggregator) and answers
 * the whole group. Counters then never appear to go backwards between scrapes.
 */
export function clusterWorkerMetricsSource(registry: Registry, timeoutMs = 5000): MetricsSource {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs the worker's answer to the primary's collection requests.
  new AggregatorRegistry();
  let nextId = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMessage<ScrapeResponse>(message, SCRAPE_RESPONSE)) return;
    const waiter = pending.get(message.id);
    if (waiter === undefined) return;
    pending.delete(message.id);
    if (message.text !== undefined) waiter.resolve(message.text);
    else waiter.reject(new Error(message.error ?? 'the primary could not collect metrics'));
  });
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

/** The primary of `--workers N`: answers each worker's scrape with the sum over every worker. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage<ScrapeRequest>(message, SCRAPE_REQUEST)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: SCRAPE_RESPONSE, id: message.id, text } satisfies ScrapeResponse),
      (error: unknown) => worker.send({
        type: SCRAPE_RESPONSE, id: message.id, error: error instanceof Error ? error.message : String(error),
      } satisfies ScrapeResponse),
    );
  });
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}
