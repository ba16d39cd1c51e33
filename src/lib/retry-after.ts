type HeaderValue = string | string[] | undefined;

function first(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads how long an upstream asks us to wait: `retry-after-ms`, then `retry-after` in seconds or
 * as an HTTP date. Returns milliseconds, or null when there is no usable hint.
 */
export function parseRetryAfter(headers: Record<string, HeaderValue>, now: number = Date.now()): number | null {
  const milliseconds = Number(first(headers['retry-after-ms']));
  if (first(headers['retry-after-ms']) !== undefined && Number.isFinite(milliseconds) && milliseconds >= 0) {
    return Math.round(milliseconds);
  }
  const value = first(headers['retry-after']);
  if (value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : null;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
