import type { Percentiles, TimeWindow } from './request-log-store.js';

/**
 * Upper bounds (ms, inclusive) of the latency and time-to-first-token histogram buckets kept per
 * rollup row; the last bucket is open-ended. Roughly ×1.5 apart, so a percentile estimated from
 * them is off by at most one bucket (see estimatePercentile).
 */
export const LATENCY_BUCKET_BOUNDS_MS = [
  10, 25, 50, 75, 100, 150, 250, 400, 600, 800, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12_000, 20_000, 30_000, 60_000, 120_000,
] as const;
/** Buckets per histogram: one per bound, plus the open-ended one. */
export const HISTOGRAM_SIZE = LATENCY_BUCKET_BOUNDS_MS.length + 1;

/** The dimensions a rollup row is kept by: everything later analytics group or filter on. */
export const ROLLUP_DIMENSIONS = ['key', 'tenant', 'model', 'provider', 'service', 'promptVersion', 'variant', 'endpoint', 'statusClass'] as const;
export type RollupDimension = (typeof ROLLUP_DIMENSIONS)[number];

export const ROLLUP_BUCKETS = ['hour', 'day'] as const;
export type RollupBucket = (typeof ROLLUP_BUCKETS)[number];

export const ROLLUP_HOUR_MS = 3_600_000;

/** Equality filters over dimensions; `statusClass` is `2xx`, `4xx`, … */
export type RollupFilter = TimeWindow & { tenantId?: string | undefined } & Partial<Record<RollupDimension, string>>;

/** The additive figures of a group of requests, and percentiles estimated from its histograms. */
export interface RollupFigures {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  costUsd: number;
  cacheHits: number;
  cacheLookups: number;
  savedUsd: number;
  latencyMs: Percentiles;
  timeToFirstTokenMs: Percentiles;
  /** Counts per LATENCY_BUCKET_BOUNDS_MS bucket, for callers that merge or chart them. */
  latencyHistogram: number[];
  ttftHistogram: number[];
}

export interface RollupPoint extends RollupFigures {
  /** Epoch ms of the bucket's start (UTC); null in a total. */
  bucketStart: number | null;
  /** The group's value; null when ungrouped or for rows without one. */
  group: string | null;
}

/**
 * Hourly aggregates of the request log, kept off the request path: one instance (the holder of
 * the `rollups` lease) calls refresh for recent hours, which recomputes them from raw rows, so a
 * row that arrives late (a spill file replayed after an outage) is counted the next time its
 * hour is refreshed, and never twice. Days are sums of their hours.
 */
export interface RollupStore {
  /** Recomputes every hour overlapping the window from raw rows; returns the rollup rows written. */
  refresh(window: TimeWindow): Promise<number>;
  /** Rollups are trusted for hours before this (epoch ms, hour-aligned); 0 when never refreshed. */
  coveredUntil(): Promise<number>;
  /** Moves the watermark forward (never back). */
  markCovered(until: number): Promise<void>;
  /** One point per bucket (and group); the window must be hour-aligned. */
  series(filter: RollupFilter, bucket: RollupBucket, groupBy: RollupDimension | null): Promise<RollupPoint[]>;
  /** Totals over the window (per group). */
  totals(filter: RollupFilter, groupBy: RollupDimension | null): Promise<RollupPoint[]>;
  /** Drops rollup rows of hours before the cutoff (retention). */
  deleteBefore(cutoff: number): Promise<number>;
}

/**
 * The value at `fraction` of a histogram, as the upper bound of the bucket it falls in (the
 * open-ended bucket answers with the last bound). The exact value lies in the same bucket, so the
 * estimate is never more than one bucket away from it.
 */
export function estimatePercentile(histogram: readonly number[], fraction: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * total));
  let seen = 0;
  for (let index = 0; index < histogram.length; index += 1) {
    seen += histogram[index] ?? 0;
    if (seen >= rank) return LATENCY_BUCKET_BOUNDS_MS[Math.min(index, LATENCY_BUCKET_BOUNDS_MS.length - 1)] ?? null;
  }
  return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1] ?? null;
}

/** The histogram bucket a value falls in. */
export function histogramIndex(valueMs: number): number {
  const index = LATENCY_BUCKET_BOUNDS_MS.findIndex((bound) => valueMs <= bound);
  return index === -1 ? LATENCY_BUCKET_BOUNDS_MS.length : index;
}
