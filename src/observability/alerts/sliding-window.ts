/** Latency buckets (ms) for windowed p95 estimates (alert windows and the health score): a rough quantile is enough. */
export const LATENCY_BOUNDS = [50, 100, 200, 400, 800, 1500, 3000, 5000, 8000, 12_000, 20_000, 30_000, 60_000, 120_000, Infinity];

interface Slice {
  start: number;
  requests: number;
  errors: number;
  latency: number[];
}

export interface WindowTotals {
  requests: number;
  errors: number;
  /** Upper bound of the bucket holding the 95th percentile of answered requests; null without any. */
  p95Ms: number | null;
}

/** Request counts, errors and a latency histogram over the last `windowMs`, in slices. */
export class SlidingWindow {
  private readonly slices: Slice[] = [];
  private readonly sliceMs: number;
  private readonly windowMs: number;

  constructor(windowMs: number, slices = 10) {
    this.windowMs = windowMs;
    this.sliceMs = Math.max(1, Math.ceil(windowMs / slices));
  }

  add(now: number, error: boolean, latencyMs: number | null): void {
    const start = Math.floor(now / this.sliceMs) * this.sliceMs;
    let slice = this.slices[this.slices.length - 1];
    if (slice === undefined || slice.start !== start) {
      slice = { start, requests: 0, errors: 0, latency: [] };
      this.slices.push(slice);
      while (this.slices.length > 0 && (this.slices[0]?.start ?? 0) <= now - this.windowMs - this.sliceMs) this.slices.shift();
    }
    slice.requests += 1;
    if (error) slice.errors += 1;
    if (latencyMs !== null) {
      const index = LATENCY_BOUNDS.findIndex((bound) => latencyMs <= bound);
      slice.latency[index] = (slice.latency[index] ?? 0) + 1;
    }
  }

  totals(now: number): WindowTotals {
    let requests = 0;
    let errors = 0;
    const latency: number[] = [];
    let answered = 0;
    for (const slice of this.slices) {
      if (slice.start <= now - this.windowMs) continue;
      requests += slice.requests;
      errors += slice.errors;
      slice.latency.forEach((count, index) => {
        latency[index] = (latency[index] ?? 0) + count;
        answered += count;
      });
    }
    let p95Ms: number | null = null;
    if (answered > 0) {
      const rank = Math.ceil(answered * 0.95);
      let seen = 0;
      for (let index = 0; index < LATENCY_BOUNDS.length && p95Ms === null; index += 1) {
        seen += latency[index] ?? 0;
        if (seen >= rank) p95Ms = LATENCY_BOUNDS[index] ?? null;
      }
    }
    return { requests, errors, p95Ms };
  }
}
