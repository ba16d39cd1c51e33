import type { CallContext, ChatRequest, ChatStream, Provider } from '../core/index.js';
import { systemClock } from '../lib/index.js';
import type { Clock, Random } from '../lib/index.js';
import { onStreamEnd, providerFrom } from './route-helpers.js';
import { tryInOrder } from './try-in-order.js';

export interface WeightedRoute {
  route: Provider;
  weight: number;
}

/**
 * `weighted`: at random in proportion to weight. `least_busy`: fewest calls in flight (ties at
 * random). `lowest_latency`: smallest moving average of recent latency (time to the answer, or to
 * a stream's first content); every route within `latencyTolerance` of the best is a candidate,
 * picked by weight, and routes never measured are tried first.
 */
export type BalanceStrategy = 'weighted' | 'least_busy' | 'lowest_latency';

export interface LoadBalancingOptions {
  strategy?: BalanceStrategy | undefined;
  random?: Random | undefined;
  clock?: Clock | undefined;
  /** Relative band around the fastest route, e.g. 0.2 = within 20 %. */
  latencyTolerance?: number | undefined;
}

/** Weight of the newest latency sample in the moving average. */
const LATENCY_SMOOTHING = 0.3;

interface Balanced {
  route: Provider;
  weight: number;
  inFlight: number;
  latencyMs: number | null;
}

/** Read-only view of a balanced route, for tests and diagnostics. */
export interface BalancedRouteStats {
  name: string;
  inFlight: number;
  latencyMs: number | null;
}

/**
 * Picks a route per call by the strategy; if it fails with a retryable error the others are
 * tried in the strategy's order of preference.
 */
export function withLoadBalancing(
  name: string, routes: WeightedRoute[], randomOrOptions: Random | LoadBalancingOptions = {},
): Provider & { stats(): BalancedRouteStats[] } {
  const options: LoadBalancingOptions = typeof randomOrOptions === 'function' ? { random: randomOrOptions } : randomOrOptions;
  const strategy = options.strategy ?? 'weighted';
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;
  const tolerance = options.latencyTolerance ?? 0.2;
  const entries: Balanced[] = routes.map((entry) => ({ route: entry.route, weight: entry.weight, inFlight: 0, latencyMs: null }));
  const tracked = new Map(entries.map((entry) => [entry, track(entry)]));

  function track(entry: Balanced): Provider {
    function observe(startedAt: number): void {
      const sample = clock.now() - startedAt;
      entry.latencyMs = entry.latencyMs === null ? sample : entry.latencyMs + LATENCY_SMOOTHING * (sample - entry.latencyMs);
    }
    async function counted<T>(call: () => Promise<T>): Promise<T> {
      entry.inFlight += 1;
      const startedAt = clock.now();
      try {
        const result = await call();
        observe(startedAt);
        return result;
      } finally {
        entry.inFlight -= 1;
      }
    }
    return {
      name: entry.route.name,
      chat: (request: ChatRequest, context: CallContext) => counted(() => entry.route.chat(request, context)),
      embed: (request, context) => counted(() => entry.route.embed(request, context)),
      async streamChat(request: ChatRequest, context: CallContext): Promise<ChatStream> {
        entry.inFlight += 1;
        const startedAt = clock.now();
        let stream: ChatStream;
        try {
          stream = await entry.route.streamChat(request, context);
        } catch (error) {
          entry.inFlight -= 1;
          throw error;
        }
        observe(startedAt);
        return onStreamEnd(stream, () => {
          entry.inFlight -= 1;
        });
      },
    };
  }

  function byWeight(candidates: Balanced[]): Balanced[] {
    const pool = [...candidates];
    const ordered: Balanced[] = [];
    while (pool.length > 0) {
      const total = pool.reduce((sum, entry) => sum + entry.weight, 0);
      let point = random() * total;
      let index = pool.findIndex((entry) => {
        point -= entry.weight;
        return point < 0;
      });
      if (index < 0) index = pool.length - 1;
      ordered.push(...pool.splice(index, 1));
    }
    return ordered;
  }

  function order(): Balanced[] {
    switch (strategy) {
      case 'weighted':
        return byWeight(entries);
      case 'least_busy':
        // Shuffled first so that ties are broken at random; the sort is stable.
        return byWeight(entries).sort((left, right) => left.inFlight - right.inFlight);
      case 'lowest_latency': {
        const unmeasured = entries.filter((entry) => entry.latencyMs === null);
        const measured = entries.filter((entry) => entry.latencyMs !== null)
          .sort((left, right) => (left.latencyMs ?? 0) - (right.latencyMs ?? 0));
        const best = measured[0]?.latencyMs ?? 0;
        const band = measured.filter((entry) => (entry.latencyMs ?? 0) <= best * (1 + tolerance));
        const rest = measured.filter((entry) => !band.includes(entry));
        return [...byWeight(unmeasured), ...byWeight(band), ...rest];
      }
    }
  }

  const provider = providerFrom(name, (call, context) => {
    const ordered = order().map((entry) => tracked.get(entry)).filter((route): route is Provider => route !== undefined);
    return tryInOrder(name, ordered, call, context);
  });
  return {
    ...provider,
    stats: () => entries.map((entry) => ({ name: entry.route.name, inFlight: entry.inFlight, latencyMs: entry.latencyMs })),
  };
}
