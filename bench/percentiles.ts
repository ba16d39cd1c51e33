/** Latency distribution of one run, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

/** Nearest-rank percentile of an ascending-sorted list; `fraction` in [0, 1]. */
export function percentile(sortedValues: readonly number[], fraction: number): number {
  if (sortedValues.length === 0) {
    return Number.NaN;
  }
  const rank = Math.ceil(fraction * sortedValues.length);
  const index = Math.min(sortedValues.length - 1, Math.max(0, rank - 1));
  return sortedValues[index] ?? Number.NaN;
}

/** Sorts a copy of the samples and returns p50, p99, mean and max. */
export function summarizeLatencies(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((left, right) => left - right);
  let total = 0;
  for (const value of sorted) {
    total += value;
  }
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    meanMs: sorted.length === 0 ? Number.NaN : total / sorted.length,
    maxMs: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN),
  };
}

/** Nanoseconds between two `process.hrtime.bigint()` readings, as milliseconds. */
export function elapsedMilliseconds(startNanoseconds: bigint, endNanoseconds: bigint): number {
  return Number(endNanoseconds - startNanoseconds) / 1e6;
}
